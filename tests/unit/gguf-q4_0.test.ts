// GPTQ → llama.cpp Q4_0 (src/model/convert/gguf-q4_0.ts): g32 symmetric layers are copied bit for bit in
// ggml's block_q4_0 layout (f16 d, then byte j = element j low nibble | element j+16 high nibble); other layouts
// are requantised with the reference rule and say why. The end-to-end check against llama.cpp itself is
// tests/gpu/cli-bench-peer.test.ts (log-probabilities of the same model in both engines).
import { describe, expect, it } from 'vitest';
import { gptqDequantCpu, repackGptq, type PackedGptq } from '../../src/gpu/gptq-repack';
import { packGptq } from '../../src/model/gptq-pack';
import { dequantPacked, dequantQ4_0, gptqToQ4_0, permuteQ4_0Rows, q4_0Mismatch, quantizeQ4_0 } from '../../src/model/convert/gguf-q4_0';
import { f16BitsToF32, f32ToF16Bits } from '../../src/shared/f16';

function randomPacked(K: number, N: number, groupSize: number, seed: number, zero = () => 8): PackedGptq {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0), s);
  const nGroups = K / groupSize;
  const words = Uint32Array.from({ length: (N * K) / 8 }, rnd);
  const sz = Uint32Array.from({ length: N * nGroups }, () => f32ToF16Bits(0.001 + (rnd() % 1000) / 1e5) | (zero() << 16));
  return { K, N, groupSize, nGroups, words, sz, perm: null, bias: null };
}

describe('GPTQ → Q4_0', () => {
  it('g32 symmetric: exact copy, ggml nibble order (byte j = elements j and j+16) and the f16 scale first', () => {
    const p = randomPacked(64, 3, 32, 1);
    expect(q4_0Mismatch(p)).toBeNull();
    const t = gptqToQ4_0(p);
    expect(t.exact).toBe(true);
    expect(t.bytes.length).toBe(3 * 2 * 18);
    // Decoded with the block_q4_0 rule, the weights are exactly the GPTQ ones.
    expect(Array.from(dequantQ4_0(t.bytes, 3, 64))).toEqual(Array.from(dequantPacked(p)));
    // By hand: row 1, block 1; element 0 of the block is nibble 0 of word 4 of that block's row, element 16 is nibble 0 of word 6.
    const o = (1 * 2 + 1) * 18;
    const W8 = 64 / 8;
    expect(t.bytes[o] | (t.bytes[o + 1] << 8)).toBe(p.sz[1 * 2 + 1] & 0xffff);
    expect(t.bytes[o + 2] & 15).toBe(p.words[1 * W8 + 4] & 15);
    expect(t.bytes[o + 2] >>> 4).toBe(p.words[1 * W8 + 6] & 15);
    expect(t.bytes[o + 2 + 9] >>> 4).toBe((p.words[1 * W8 + 7] >>> 4) & 15); // element 25 = word 7, nibble 1
  });

  it('other layouts are requantised and say why; the result is within one step of the weights (half a step, or a whole one where q = 15 clamps)', () => {
    const cases: [PackedGptq, RegExp][] = [
      [randomPacked(128, 4, 128, 2), /group size 128/],
      [randomPacked(64, 4, 32, 3, () => 5), /^zero point 5/],
      [{ ...randomPacked(64, 4, 32, 4), perm: Uint32Array.from({ length: 64 }, (_, i) => 63 - i) }, /act-order/],
    ];
    for (const [p, why] of cases) {
      const t = gptqToQ4_0(p);
      expect(t.exact).toBe(false);
      expect(t.reason).toMatch(why);
      const W = dequantPacked(p);
      const back = dequantQ4_0(t.bytes, p.N, p.K);
      for (let b = 0; b < (p.N * p.K) / 32; b++) {
        const d = Math.abs(f16BitsToF32(t.bytes[b * 18] | (t.bytes[b * 18 + 1] << 8)));
        for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j] - W[b * 32 + j])).toBeLessThanOrEqual(d * 1.001 + 1e-7);
      }
    }
  });

  it('dequantPacked of a repacked act-order asymmetric layer is the original GPTQ weights (what gets requantised)', () => {
    const K = 64, N = 8, G = 16, nG = K / G;
    let s = 9;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0), s >>> 8);
    const order = Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) { const j = rnd() % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    const gIdx = Int32Array.from(order, (o) => Math.floor(o / G)); // G inputs per group, in shuffled positions
    const t = packGptq({
      q: Uint8Array.from({ length: N * K }, () => rnd() % 16), zeros: Uint8Array.from({ length: nG * N }, () => rnd() % 16),
      scales: Float32Array.from({ length: nG * N }, () => 0.01 + (rnd() % 100) / 1000), gIdx, K, N, groupSize: G, format: 'v1',
    });
    const p = repackGptq(t);
    expect(p.perm).not.toBeNull();
    expect(q4_0Mismatch(p)).toMatch(/group size 16.*act-order.*asymmetric/);
    expect(Array.from(dequantPacked(p))).toEqual(Array.from(gptqDequantCpu(t)));
  });

  it('reference quantisation maps the largest-magnitude value to q = 0 exactly', () => {
    const W = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? -0.8 : Math.sin(i) * 0.5));
    const b = quantizeQ4_0(W, 1, 32);
    expect(f16BitsToF32(b[0] | (b[1] << 8))).toBeCloseTo(0.1, 4); // d = -0.8 / -8
    expect(b[2 + 5] & 15).toBe(0);
  });

  it('rows move whole (q/k to llama.cpp interleaved order)', () => {
    const t = gptqToQ4_0(randomPacked(32, 4, 32, 5)).bytes;
    const out = permuteQ4_0Rows(t, 4, 32, (r) => 3 - r);
    expect(Array.from(out.subarray(0, 18))).toEqual(Array.from(t.subarray(54, 72)));
    expect(Array.from(out.subarray(54, 72))).toEqual(Array.from(t.subarray(0, 18)));
  });
});
