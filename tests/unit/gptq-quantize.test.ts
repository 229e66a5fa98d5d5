// The converter's quantizers: GPTQ really compensates error (beats RTN on the layer's output for the
// calibration inputs), act-order gives non-monotonic g_idx, and v1 never stores a zero point of 0.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/model/checkpoint';
import { convertLlama2c } from '../../src/model/convert/convert-llama2c';
import { dequantizeQuantized, groupParams, HessianAccumulator, quantizeGptq, quantizeRtn, type QuantSettings } from '../../src/model/convert/gptq';
import { seededRandom } from '../../src/shared/random';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { dequantGptq, packGptq } from '../../src/model/gptq-pack';
import { nodeDirFiles } from '../../src/model/node-files';
import type { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.bin'));
if (!have) console.warn(`skipping stories260K GPTQ checks: ${stories} is absent`);

/** Correlated inputs with uneven column scales (like real activations) and random weights. */
function problem(N: number, K: number, T: number, seed: number) {
  const r = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const colScale = Float64Array.from({ length: K }, () => 0.2 + 3 * r() ** 3);
  const X = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const common = gauss();
    for (let k = 0; k < K; k++) X[t * K + k] = (gauss() + 0.6 * common) * colScale[k];
  }
  const W = Float32Array.from({ length: N * K }, () => gauss() * 0.1);
  const H = new HessianAccumulator(K);
  H.add(X, T);
  return { X, W, H: H.finish() };
}

function outputError(X: Float32Array, T: number, W: Float32Array, Wq: Float32Array, N: number, K: number): number {
  let e = 0;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += X[t * K + k] * (W[n * K + k] - Wq[n * K + k]);
      e += d * d;
    }
  }
  return e;
}

function nibbles(words: Int32Array): number[] {
  const out: number[] = [];
  for (const w of words) for (let i = 0; i < 8; i++) out.push((w >>> (4 * i)) & 15);
  return out;
}

describe('GPTQ quantizer', () => {
  const N = 48, K = 96, T = 512;
  const { X, W, H } = problem(N, K, T, 7);

  for (const s of [
    { groupSize: 32, sym: false, actOrder: true, format: 'v1' },
    { groupSize: 32, sym: true, actOrder: false, format: 'v2' },
    { groupSize: -1, sym: false, actOrder: false, format: 'v1' },
  ] as QuantSettings[]) {
    it(`reduces the output error ‖X(W − Ŵ)‖² below RTN (${JSON.stringify(s)})`, () => {
      const g = quantizeGptq(W, N, K, H, s);
      const rtn = quantizeRtn(W, N, K, s);
      const eG = outputError(X, T, W, dequantizeQuantized(g), N, K);
      const eR = outputError(X, T, W, dequantizeQuantized(rtn), N, K);
      expect(eG).toBeLessThan(0.8 * eR);
      // The packed file tensors dequantize to exactly what the quantizer meant.
      expect([...dequantGptq(packGptq(g))]).toEqual([...dequantizeQuantized(g)]);
    });
  }

  it('act-order: groups follow diag(H) descending, so g_idx is a non-monotonic permutation of group ids', () => {
    const g = quantizeGptq(W, N, K, H, { groupSize: 32, sym: false, actOrder: true, format: 'v1' });
    const gIdx = [...g.gIdx!];
    expect(gIdx.some((v, i) => i > 0 && v < gIdx[i - 1])).toBe(true);
    for (let grp = 0; grp < 3; grp++) expect(gIdx.filter((v) => v === grp).length).toBe(32);
    // The first group holds the 32 columns with the largest Hessian diagonal.
    const byDiag = [...Array(K).keys()].sort((a, b) => H[b * K + b] - H[a * K + a]).slice(0, 32).sort((a, b) => a - b);
    expect([...Array(K).keys()].filter((k) => gIdx[k] === 0)).toEqual(byDiag);
  });

  it('v1 asymmetric: a group with only non-negative weights gets zero ≥ 1 and still covers its range', () => {
    const w = Float32Array.from([0, 0.1, 0.5, 1.4, 0.2, 0.3, 0.05, 0.7]); // N = 1, K = 8, all ≥ 0
    const scale = new Float32Array(1);
    const zero = new Uint8Array(1);
    groupParams(w, 1, 8, [...Array(8).keys()], { sym: false, format: 'v1' }, scale, zero);
    expect(zero[0]).toBe(1);
    expect(14 * scale[0]).toBeGreaterThanOrEqual(1.4 * (1 - 1e-3));
    groupParams(w, 1, 8, [...Array(8).keys()], { sym: false, format: 'v2' }, scale, zero);
    expect(zero[0]).toBe(0); // v2 can store 0 as is
    const q = quantizeRtn(w, 1, 8, { groupSize: -1, sym: false, actOrder: false, format: 'v1' });
    expect(q.zeros[0]).toBeGreaterThanOrEqual(1);
  });

  it('the v1 packer refuses a zero point of 0 instead of corrupting neighbouring nibbles', () => {
    const q = quantizeRtn(Float32Array.from({ length: 64 }, (_, i) => i / 64), 8, 8, { groupSize: -1, sym: false, actOrder: false, format: 'v2' });
    expect([...q.zeros]).toContain(0);
    let err: AppError | undefined;
    try {
      packGptq({ ...q, format: 'v1' });
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('UNSUPPORTED_QUANTIZATION');
  });
});

describe.skipIf(!have)('stories260K GPTQ v1 asymmetric files', () => {
  it('never store a zero point of 0: no qzeros nibble is 15 (stored zero − 1 = −1)', async () => {
    // RTN and GPTQ share the quantizer; small groups make all-positive groups likely.
    for (const quantize of ['rtn', 'gptq'] as const) {
      const dir = makeTempDir(`s260-${quantize}-`);
      const files = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), {
        dtype: 'f32', quantize, bits: 4, groupSize: 8, sym: false, actOrder: quantize === 'gptq', format: 'v1', shards: 1,
        calibration: { count: 4, length: 64, seed: 3 },
      });
      await writeModelDir(dir, files);
      const ck = await openCheckpoint(nodeDirFiles(dir));
      let count = 0;
      for (const name of ck.names().filter((n) => n.endsWith('.qzeros'))) {
        const z = nibbles((await ck.read(name)) as Int32Array);
        expect(z.includes(15), name).toBe(false);
        count += z.length;
      }
      expect(count).toBeGreaterThan(10_000);
    }
    // The same weights in v2 (which can store 0) do have groups whose natural zero is 0: the clamp matters.
    const v2 = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), {
      dtype: 'f32', quantize: 'rtn', bits: 4, groupSize: 8, sym: false, actOrder: false, format: 'v2', shards: 1,
    });
    const dir = makeTempDir('s260-v2-');
    await writeModelDir(dir, v2);
    const ck = await openCheckpoint(nodeDirFiles(dir));
    let zerosOfZero = 0;
    for (const name of ck.names().filter((n) => n.endsWith('.qzeros'))) zerosOfZero += nibbles((await ck.read(name)) as Int32Array).filter((z) => z === 0).length;
    expect(zerosOfZero).toBeGreaterThan(0);
  }, 60_000);
});
