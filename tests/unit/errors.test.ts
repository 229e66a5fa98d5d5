import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';

describe('AppError', () => {
  it('survives a structured-clone round trip with its code', () => {
    const e = new AppError('MISSING_FILE', 'model-00002-of-00002.safetensors is missing');
    const cloned = structuredClone(e.toJSON());
    const back = AppError.from(cloned);
    expect(back).toBeInstanceOf(AppError);
    expect(back.code).toBe('MISSING_FILE');
    expect(back.message).toContain('00002');
  });
  it('maps AbortError to ABORTED and unknown errors to INTERNAL', () => {
    expect(AppError.from(new DOMException('x', 'AbortError')).code).toBe('ABORTED');
    expect(AppError.from(new Error('boom')).code).toBe('INTERNAL');
  });
});
