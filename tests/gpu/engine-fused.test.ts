// The fused forward (LlamaGpuOptions.fuse, stacked q/k/v and gate/up weights) against the unfused one on the same
// random weights, both precision paths: fewer dispatches per decode token, the same greedy tokens, logits
// within tolerance, for prefill (matmul) and decode (matvec, every matvec variant of this adapter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { gptqMatvecVariants } from '../../src/gpu/kernels/gptq-linear';
import { LlamaGpu } from '../../src/model/llama-gpu';
import { makeSyntheticWeights, syntheticConfig } from '../../src/model/synthetic';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { maxAbsDiff, PATHS, relErr, testGpu } from './helpers';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };

async function greedy(llama: LlamaGpu, prompt: number[], n: number): Promise<number[]> {
  const out = [await llama.prefill(prompt, sampler)];
  for (let i = 1; i < n; i++) out.push(await llama.decode(out[i - 1], prompt.length + i - 1, sampler, i));
  return out;
}

describe.each(PATHS)('fused forward ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  it('tiny-test: 26 dispatches per decode token fused, 50 unfused; same greedy tokens and logits', async () => {
    const cfg = syntheticConfig('tiny-test');
    const wf = makeSyntheticWeights(ctx, cfg, 3), wu = makeSyntheticWeights(ctx, cfg, 3, undefined, { fuse: false });
    expect(wf.layers[0].qkv && wf.layers[0].gateUp && !wf.layers[0].q).toBeTruthy();
    expect(wf.bytes).toBe(wu.bytes);
    const fused = LlamaGpu.create(ctx, cfg, wf, { maxSeq: 64, maxBatch: 16 });
    const unfused = LlamaGpu.create(ctx, cfg, wu, { maxSeq: 64, maxBatch: 16, fuse: false });
    try {
      // Per layer: 23 unfused → 11 fused (norm+prepare, q/k/v, rope+kv, attention ×2, o ×2, norm+prepare, gate/up,
      // glu-prepare, down); plus embedding, final norm, lm_head, sampler.
      expect(unfused.dispatchesPerToken()).toBe(2 * 23 + 4);
      expect(fused.dispatchesPerToken()).toBe(2 * 11 + 4);
      // 20 tokens: a prefill of 20 (two matmul chunks of 16 and 4), logits at every position.
      const prompt = Array.from({ length: 20 }, (_, i) => (i * 37 + 5) % cfg.vocabSize);
      const lf = await fused.logitsAll(prompt), lu = await unfused.logitsAll(prompt);
      for (let i = 0; i < prompt.length; i++) expect(relErr(lf[i], lu[i])).toBeLessThan(1e-5);
      const tokens = await greedy(unfused, prompt.slice(0, 5), 12);
      expect(new Set(tokens).size).toBeGreaterThan(2);
      expect(await greedy(fused, prompt.slice(0, 5), 12)).toEqual(tokens);
    } finally {
      fused.destroy(); unfused.destroy(); wf.destroy(); wu.destroy();
    }
  });

  it('every matvec variant runs the stacked q/k/v and gate/up linears and the folded preparations', async () => {
    const cfg = syntheticConfig('tiny-test');
    const wf = makeSyntheticWeights(ctx, cfg, 5), wu = makeSyntheticWeights(ctx, cfg, 5, undefined, { fuse: false });
    const ref = LlamaGpu.create(ctx, cfg, wu, { maxSeq: 32, fuse: false });
    const prompt = [1, 17, 300, 4, 999, 12];
    const want = await greedy(ref, prompt, 8);
    expect(new Set(want).size).toBeGreaterThan(2); // not a degenerate repeat that a wrong kernel could also produce
    try {
      for (const v of gptqMatvecVariants(ctx)) {
        const llama = LlamaGpu.create(ctx, cfg, wf, { maxSeq: 32, matvecVariant: () => v });
        try {
          expect({ variant: v.name, tokens: await greedy(llama, prompt, 8) }).toEqual({ variant: v.name, tokens: want });
        } finally {
          llama.destroy();
        }
      }
    } finally {
      ref.destroy(); wf.destroy(); wu.destroy();
    }
  });

  it('stacked weights with fuse: false are refused with a message that says what to do', () => {
    const cfg = syntheticConfig('tiny-test');
    const wf = makeSyntheticWeights(ctx, cfg, 3);
    try {
      expect(() => LlamaGpu.create(ctx, cfg, wf, { maxSeq: 16, fuse: false })).toThrow(/load the weights with fuse: false/);
    } finally {
      wf.destroy();
    }
  });
});

describe.skipIf(SKIP_STORIES)('fused forward on a dense f32 model (stories260K)', () => {
  it('stacked dense q/k/v: fewer dispatches, logits equal the unfused forward (f32 path)', async () => {
    const dir = await convertedStories();
    const load = async (fuse: boolean) => { const e = new LlamaEngine(nodeGpu()); await e.load(nodeDirFiles(dir), { preferF16: false, fuse, tune: false }); return e; };
    const [fused, unfused] = [await load(true), await load(false)];
    try {
      // Dense layers: q/k/v stacked (3 matvecs → 1) and RoPE + KV store fused (4 → 1); norms and silu-mul stay.
      const layers = fused.modelConfig!.numLayers;
      expect(unfused.gpuModel!.dispatchesPerToken() - fused.gpuModel!.dispatchesPerToken()).toBe(5 * layers);
      const ids = fused.promptIds('Once upon a time, there was a little girl named Lily. She loved to play', true);
      const [a, b] = [await fused.logits(ids), await unfused.logits(ids)];
      let worst = 0;
      for (let i = 0; i < ids.length; i++) worst = Math.max(worst, maxAbsDiff(a[i], b[i]));
      console.log(`stories260K fused vs unfused (f32 path): max |Δlogit| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await fused.unload(); await unfused.unload();
    }
  });
});
