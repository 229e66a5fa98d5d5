// The autotuner's measuring loop (src/gpu/autotune-shared.ts measureCandidates) with a scripted clock: which
// candidates are bound and timed when a variant family is far behind, and when a close call gets more rounds.
// The GPU paths of the same loop run in tests/gpu/autotune*.test.ts; here only the decisions are checked, so
// the clock returns set times per encode function instead of measuring.
import { describe, expect, it } from 'vitest';
import { CLOSE_CALL_ROUNDS, FAMILY_NOTE, measureCandidates, type MeasureCandidate } from '../../src/gpu/autotune-shared';
import type { GpuContext } from '../../src/gpu/context';
import type { GpuTimer } from '../../src/gpu/timing';

type Encode = (pass: GPUComputePassEncoder) => void;

function scripted(msOf: Map<Encode, number>) {
  const calls = new Map<Encode, number>();
  const timer = {
    async time(encode: Encode): Promise<number> {
      calls.set(encode, (calls.get(encode) ?? 0) + 1);
      return msOf.get(encode)!;
    },
  } as unknown as GpuTimer;
  return { timer, calls };
}

function candidates(spec: { name: string; family: string; ms: number }[], msOf: Map<Encode, number>, bound: string[]): MeasureCandidate[] {
  return spec.map((c) => ({
    name: c.name,
    family: c.family,
    tolerance: 1e-3,
    bind: () => {
      bound.push(c.name);
      const once: Encode = () => {};
      const all: Encode = () => {};
      msOf.set(once, c.ms).set(all, c.ms);
      return { once, all, error: async () => 0 };
    },
  }));
}

const ctx = { firstError: null } as unknown as GpuContext;
const far = { deadline: Number.POSITIVE_INFINITY, minMs: 0, rounds: 2, copies: 1, earlier: [] };

describe('measureCandidates: families and close calls', () => {
  it('once a family member is over 4x the best on one call, its siblings are neither bound nor timed', async () => {
    const msOf = new Map<Encode, number>();
    const bound: string[] = [];
    const list = candidates([
      { name: 'rows', family: 'rows', ms: 10 },
      { name: 'rows vec4', family: 'rows vec4', ms: 20 },
      { name: 'split r1', family: 'split', ms: 50 },
      { name: 'split r2', family: 'split', ms: 12 },
      { name: 'split r4', family: 'split', ms: 9 },
    ], msOf, bound);
    const { timer } = scripted(msOf);
    const { candidates: got, complete } = await measureCandidates(ctx, timer, list, far);
    expect(bound).toEqual(['rows', 'rows vec4', 'split r1']);
    expect(got.map((c) => c.variant)).toEqual(['rows', 'rows vec4', 'split r1', 'split r2', 'split r4']);
    expect(got[2].note).toMatch(/over 4x slower/);
    expect(got[3].note).toBe(`${FAMILY_NOTE} (split)`);
    expect(got[3].ms).toBeNull();
    expect(complete).toBe(true);
    expect(got[0].ms).toBe(10);
  });

  it('a family member within 4x does not stop its siblings', async () => {
    const msOf = new Map<Encode, number>();
    const bound: string[] = [];
    const list = candidates([
      { name: 'rows', family: 'rows', ms: 10 },
      { name: 'split r1', family: 'split', ms: 30 },
      { name: 'split r2', family: 'split', ms: 8 },
    ], msOf, bound);
    const { timer } = scripted(msOf);
    const { candidates: got } = await measureCandidates(ctx, timer, list, far);
    expect(bound).toEqual(['rows', 'split r1', 'split r2']);
    expect(got.map((c) => c.ms)).toEqual([10, 30, 8]);
  });

  it('a close call (within 1.2x) gets more rounds among the near candidates only', async () => {
    const msOf = new Map<Encode, number>();
    const list = candidates([
      { name: 'a', family: 'a', ms: 10 },
      { name: 'b', family: 'b', ms: 11 },
      { name: 'c', family: 'c', ms: 30 },
    ], msOf, []);
    const { timer } = scripted(msOf);
    const { candidates: got } = await measureCandidates(ctx, timer, list, far);
    expect(got[0].rounds).toBe(2 + CLOSE_CALL_ROUNDS);
    expect(got[1].rounds).toBe(2 + CLOSE_CALL_ROUNDS);
    expect(got[2].rounds).toBeUndefined();
  });
});
