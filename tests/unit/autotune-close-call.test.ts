// The autotuner's close-call rule (src/gpu/autotune-shared.ts): which candidates get more interleaved rounds.
import { describe, expect, it } from 'vitest';
import { CLOSE_CALL, closeCallContenders } from '../../src/gpu/autotune-shared';

describe('closeCallContenders', () => {
  it('names every candidate within CLOSE_CALL of the best when at least two are', () => {
    expect(closeCallContenders([28, 33.4, 39.5, 92])).toEqual([0, 1]); // 33.4 / 28 = 1.19
    expect(closeCallContenders([10, 10.5, 11.9, 12.1])).toEqual([0, 1, 2]);
    expect(closeCallContenders([12, 10, 30])).toEqual([0, 1]); // the best need not come first
  });

  it('is empty when the best is clear, when one candidate is left, and ignores candidates never timed', () => {
    expect(closeCallContenders([10, 10 * CLOSE_CALL * 1.01, 40])).toEqual([]);
    expect(closeCallContenders([10])).toEqual([]);
    expect(closeCallContenders([])).toEqual([]);
    expect(closeCallContenders([10, Infinity, Infinity])).toEqual([]);
    expect(closeCallContenders([Infinity, 10, 11])).toEqual([1, 2]);
  });
});
