import { describe, expect, it } from 'vitest';
import { dequantGptq, packGptq, type GptqPackInput } from '../../src/model/gptq-pack';
import { f16BitsToF32, f32ToF16Bits } from '../../src/shared/f16';
import { AppError } from '../../src/shared/errors';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

function makeInput(K: number, N: number, groupSize: number, format: 'v1' | 'v2', opts: { actOrder?: boolean; sym?: boolean; bias?: boolean; seed?: number } = {}): GptqPackInput {
  const r = rng(opts.seed ?? 7);
  const G = groupSize === -1 ? K : groupSize;
  const nG = Math.ceil(K / G);
  const q = new Uint8Array(N * K).map(() => Math.floor(r() * 16));
  const zeros = new Uint8Array(nG * N).map(() => (opts.sym ? 8 : 1 + Math.floor(r() * 15)));
  const scales = new Float32Array(nG * N).map(() => 0.001 + r() * 0.05);
  let gIdx: Int32Array | undefined;
  if (opts.actOrder) {
    // A random permutation of the natural groups (what desc_act produces).
    const perm = Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    gIdx = new Int32Array(K);
    for (let i = 0; i < K; i++) gIdx[perm[i]] = Math.floor(i / G);
  }
  const bias = opts.bias ? new Float32Array(N).map(() => r() - 0.5) : undefined;
  return { q, zeros, scales, gIdx, bias, K, N, groupSize, format };
}

function expectRoundTrip(p: GptqPackInput): void {
  const t = packGptq(p);
  expect(t.qweight.length).toBe((p.K / 8) * p.N);
  const W = dequantGptq(t);
  const G = p.groupSize === -1 ? p.K : p.groupSize;
  for (let n = 0; n < p.N; n++) {
    for (let k = 0; k < p.K; k++) {
      const g = p.gIdx ? p.gIdx[k] : Math.floor(k / G);
      const s = f16BitsToF32(f32ToF16Bits(p.scales[g * p.N + n]));
      const want = s * (p.q[n * p.K + k] - p.zeros[g * p.N + n]);
      if (W[n * p.K + k] !== Math.fround(want)) throw new Error(`W[${n},${k}] = ${W[n * p.K + k]} != ${want}`);
    }
  }
}

describe('f16 helpers', () => {
  it('round-trips representative values and rounds to nearest even', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, -0.333251953125]) {
      expect(f16BitsToF32(f32ToF16Bits(v))).toBe(v);
    }
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    // Largest subnormal rounding up into the smallest normal.
    expect(f32ToF16Bits(1023.97 * 2 ** -24)).toBe(0x0400);
    expect(f32ToF16Bits(1023.4 * 2 ** -24)).toBe(0x03ff);
    expect(f32ToF16Bits(2 ** -26)).toBe(0); // below half the smallest subnormal
  });
});

describe('packGptq / dequantGptq', () => {
  for (const format of ['v1', 'v2'] as const) {
    for (const groupSize of [32, 64, -1]) {
      it(`round trip ${format}, group ${groupSize}`, () => expectRoundTrip(makeInput(128, 24, groupSize, format, { bias: true })));
    }
    it(`round trip ${format} with act-order g_idx`, () => expectRoundTrip(makeInput(128, 16, 32, format, { actOrder: true, seed: 3 })));
  }

  it('stores nibbles least significant first, as AutoGPTQ does', () => {
    const K = 8, N = 8;
    const q = new Uint8Array(N * K);
    for (let k = 0; k < K; k++) q[0 * K + k] = k + 1; // row 0: 1..8
    const t = packGptq({ q, zeros: new Uint8Array(N).fill(8), scales: new Float32Array(N).fill(1), K, N, groupSize: -1, format: 'v2' });
    expect(t.qweight[0] >>> 0).toBe(0x87654321);
    expect(t.qzeros[0] >>> 0).toBe(0x88888888);
  });

  it('a symmetric v1 file has every qzeros word 0x77777777', () => {
    const t = packGptq(makeInput(64, 32, 32, 'v1', { sym: true }));
    for (const w of t.qzeros) expect(w >>> 0).toBe(0x77777777);
    const t2 = packGptq(makeInput(64, 32, 32, 'v2', { sym: true }));
    for (const w of t2.qzeros) expect(w >>> 0).toBe(0x88888888);
  });

  it('rejects a zero point of 0 in v1 (cannot be stored) but accepts it in v2', () => {
    const p = makeInput(32, 8, 32, 'v1');
    p.zeros[3] = 0;
    expect(() => packGptq(p)).toThrowError(AppError);
    try { packGptq(p); } catch (e) { expect((e as AppError).code).toBe('UNSUPPORTED_QUANTIZATION'); }
    expectRoundTrip({ ...p, format: 'v2' });
  });

  it('rounds scales and bias to f16 and keeps the default g_idx', () => {
    const p = makeInput(64, 8, 32, 'v2', { bias: true });
    const t = packGptq(p);
    expect(Array.from(t.gIdx.slice(30, 34))).toEqual([0, 0, 1, 1]);
    expect(t.bias?.length).toBe(8);
    expect(f16BitsToF32(t.bias![0])).toBeCloseTo(p.bias![0], 3);
    expect(t.scales[0]).toBe(f32ToF16Bits(p.scales[0]));
  });
});
