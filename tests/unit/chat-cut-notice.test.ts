// An answer that ran into its token limit says so (it would otherwise look finished), and which limit it was.
import { describe, expect, it } from 'vitest';
import { cutNotice } from '../../src/chat/answer';

describe('cutNotice', () => {
  it('the Max answer length setting, the context window, or nothing when the model ended the answer itself', () => {
    expect(cutNotice('length', 256, 256)).toMatch(/cut at 256 tokens, the “Max answer length” setting/);
    // The prompt builder lowered the budget to fit the context: the context is what cut it.
    expect(cutNotice('length', 90, 256)).toMatch(/cut at 90 tokens: the model's context is full/);
    expect(cutNotice('context', 90, 256)).toMatch(/context is full/);
    expect(cutNotice('eos', 256, 256)).toBeNull();
    expect(cutNotice('stopped', 12, 256)).toBeNull();
    expect(cutNotice(undefined, 12, 256)).toBeNull();
  });
});
