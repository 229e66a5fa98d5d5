// GPU sampler vs its CPU twin (identical ids for greedy and seeded top-k/top-p with repetition penalty),
// history append, and a statistical check that draws follow softmax(logits / T) restricted to top-k / top-p.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { SampleKernel } from '../../src/gpu/kernels/sample';
import { sampleCpu, type SamplerOptions } from '../../src/gpu/cpu/sample';
import { createStepBuffer, writeStep } from '../../src/gpu/step';
import { randomFloats, readU32, runPass, testGpu, upload } from './helpers';

/** The HF-style distribution: softmax(z / T), keep the top k, then the smallest prefix with mass >= p. */
function expectedProbs(logits: Float32Array, o: SamplerOptions): Float64Array {
  const z = Array.from(logits, (l) => l / o.temperature);
  const order = z.map((_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
  let kept = o.topK > 0 ? order.slice(0, o.topK) : order;
  const mx = z[kept[0]];
  const e = kept.map((i) => Math.exp(z[i] - mx));
  const tot = e.reduce((a, b) => a + b, 0);
  let cum = 0, n = 0;
  while (n < kept.length) { cum += e[n] / tot; n++; if (cum >= o.topP) break; }
  kept = kept.slice(0, n);
  const out = new Float64Array(logits.length);
  const tot2 = e.slice(0, n).reduce((a, b) => a + b, 0);
  kept.forEach((i, j) => { out[i] = e[j] / tot2; });
  return out;
}

describe('sample kernel', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16: false }); });
  afterAll(() => ctx?.device.destroy());

  async function setup(logits: Float32Array, history: Uint32Array, maxSeq: number, opts: SamplerOptions) {
    const k = new SampleKernel(ctx);
    const hist = new Uint32Array(maxSeq);
    hist.set(history);
    const histBuf = upload(ctx, hist);
    const out = upload(ctx, new Uint32Array(4));
    const step = createStepBuffer(ctx);
    const bound = k.bind(upload(ctx, logits), histBuf, out, step, { vocab: logits.length, maxSeq }, opts);
    const draw = async (kvLen: number, seed: number, sampleStep: number): Promise<number> => {
      writeStep(ctx, step, { pos0: kvLen - 1, m: 1, seed, sampleStep });
      await runPass(ctx, (p) => k.encode(p, bound));
      return (await readU32(ctx, out, 1))[0];
    };
    return { k, bound, draw, histBuf };
  }

  it('greedy: argmax with the lowest index on ties, repetition penalty applied once per distinct id, id appended to history', async () => {
    const V = 1000;
    const logits = randomFloats(V, 1, 5);
    logits[700] = 9; logits[300] = 9; // tie → 300
    logits[10] = 8.5;
    const opts = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 };
    const { k, bound, draw, histBuf } = await setup(logits, new Uint32Array([5, 6]), 64, opts);
    expect(await draw(2, 0, 0)).toBe(300);
    expect(sampleCpu(logits, [5, 6], 2, opts, 0, 0)).toBe(300);
    // history[kv_len] receives the id
    expect((await readU32(ctx, histBuf, 3))[2]).toBe(300);
    // Penalise 300 and 700 (300 listed twice: penalised once): 9 / 1.1 = 8.18 < 8.5 → 10.
    const hist = new Uint32Array([300, 700, 300]);
    ctx.device.queue.writeBuffer(histBuf, 0, hist);
    const pen = { ...opts, repetitionPenalty: 1.1 };
    k.setOptions(ctx.device.queue, bound, pen);
    expect(await draw(3, 0, 0)).toBe(10);
    expect(sampleCpu(logits, hist, 3, pen, 0, 0)).toBe(10);
  });

  const settings: SamplerOptions[] = [
    { temperature: 0.8, topK: 40, topP: 0.9, repetitionPenalty: 1.3 },
    { temperature: 1.0, topK: 0, topP: 0.5, repetitionPenalty: 1 },
    { temperature: 1.5, topK: 5, topP: 1, repetitionPenalty: 1 },
    { temperature: 0.7, topK: 0, topP: 1, repetitionPenalty: 1.1 },
  ];
  for (const o of settings) {
    it(`seeded draws equal the CPU twin: T=${o.temperature} topK=${o.topK} topP=${o.topP} rp=${o.repetitionPenalty}`, async () => {
      const V = 3001; // slices of 12 with a short last slice
      const logits = randomFloats(V, 17, 4);
      const history = new Uint32Array(Array.from({ length: 50 }, (_, i) => (i * 37) % V));
      const { draw } = await setup(logits, history, 128, o);
      const seen = new Set<number>();
      for (let s = 0; s < 25; s++) {
        const got = await draw(50, 1234, s);
        expect(got, `step ${s}`).toBe(sampleCpu(logits, history, 50, o, 1234, s));
        seen.add(got);
      }
      expect(seen.size).toBeGreaterThan(1); // it really samples
    });
  }

  it('frequencies match softmax(logits/T) restricted to top-k / top-p (CPU twin, 10000 draws; GPU 150 identical draws)', async () => {
    const logits = new Float32Array([1.0, 2.2, 0.3, 2.0, -1, 1.7, 0.9, 2.1, 0.0, 1.2, -0.5, 1.9]);
    for (const o of [
      { temperature: 0.9, topK: 6, topP: 1, repetitionPenalty: 1 },
      { temperature: 1.2, topK: 0, topP: 0.8, repetitionPenalty: 1 },
      { temperature: 0.7, topK: 8, topP: 0.9, repetitionPenalty: 1 },
    ]) {
      const want = expectedProbs(logits, o);
      const n = 10000;
      const counts = new Float64Array(logits.length);
      for (let s = 0; s < n; s++) counts[sampleCpu(logits, [], 0, o, 99, s)]++;
      for (let i = 0; i < logits.length; i++) {
        const sd = Math.sqrt((want[i] * (1 - want[i])) / n);
        expect(Math.abs(counts[i] / n - want[i]), `token ${i} (${JSON.stringify(o)})`).toBeLessThanOrEqual(5 * sd + 1e-9);
        if (want[i] === 0) expect(counts[i]).toBe(0);
      }
      const { draw } = await setup(logits, new Uint32Array(0), 16, o);
      for (let s = 0; s < 50; s++) expect(await draw(1, 99, s)).toBe(sampleCpu(logits, [], 1, o, 99, s));
    }
  });
});
