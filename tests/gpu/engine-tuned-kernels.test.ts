// The engine with every prefill matmul tile and every dense lm_head matvec variant (LlamaGpuOptions.matmulTile /
// denseVariant, as the autotuner hands them over) against the default kernels on the same random weights: fused
// forward (the tiles read x prepared by the folded norm / glu kernels), logits at every prompt position within
// tolerance, and the same token sampled after a prefill (lm_head matvec with xRow 'last').
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { denseMatvecVariants } from '../../src/gpu/kernels/dense-linear';
import { GPTQ_MATMUL_TILES } from '../../src/gpu/kernels/gptq-matmul-tiles';
import { LlamaGpu } from '../../src/model/llama-gpu';
import { makeSyntheticWeights, syntheticConfig } from '../../src/model/synthetic';
import { relErr, testGpu } from './helpers';

describe('engine with tuned matmul tiles and dense matvec variants', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());

  it('tiny-test: every tile and every dense variant gives the default kernels\' logits', async () => {
    const cfg = syntheticConfig('tiny-test');
    const w = makeSyntheticWeights(ctx, cfg, 7);
    expect(w.lmHead.kind).toBe('dense');
    const prompt = Array.from({ length: 20 }, (_, i) => (i * 53 + 9) % cfg.vocabSize);
    const ref = LlamaGpu.create(ctx, cfg, w, { maxSeq: 32, maxBatch: 16 });
    try {
      const want = await ref.logitsAll(prompt); // prefill chunks of 16 and 4 through the matmul
      const wantNext = await ref.prefill(prompt, { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 });
      const dense = denseMatvecVariants(ctx);
      for (const [i, tile] of GPTQ_MATMUL_TILES.entries()) {
        const v = dense[i % dense.length];
        const llama = LlamaGpu.create(ctx, cfg, w, { maxSeq: 32, maxBatch: 16, matmulTile: () => tile, denseVariant: () => v });
        try {
          const got = await llama.logitsAll(prompt);
          for (let p = 0; p < prompt.length; p++) expect(relErr(got[p], want[p]), `${tile.name} position ${p}`).toBeLessThan(1e-5);
          // The sampled token after a prefill goes through the lm_head matvec (xRow 'last') with the dense variant.
          expect(await llama.prefill(prompt, { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 }), `${tile.name} / ${v.name}`).toBe(wantNext);
        } finally {
          llama.destroy();
        }
      }
    } finally {
      ref.destroy();
      w.destroy();
    }
  });
});
