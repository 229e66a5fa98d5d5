// The WGSL engine (f32 path) on random mixture-of-experts models (GPTQ 4-bit experts, routed on the GPU) against
// llama.cpp (node-llama-cpp) on the same weights exported to GGUF (mixtral → llama with stacked experts,
// qwen2_moe → qwen2moe, qwen3_moe → qwen3moe; the dequantized weights, since GGUF has no GPTQ): log-probabilities at every position.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomMoe, syntheticVocab, type RandomMoeOptions } from '../../scripts/make-random-llama';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { writeLlamaGguf } from '../../src/model/convert/gguf-writer';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { llamaCppProbabilities, maxLogProbGap } from '../llamacpp-probs';
import { makeTempDir } from '../temp-dir';

const base = { hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 300, tied: false, dtype: 'f16' as const, maxPositionEmbeddings: 128 };

const cases: { name: string; o: RandomMoeOptions }[] = [
  { name: 'mixtral GPTQ g32 act-order, 4 experts top-2 (renormalised)', o: { ...base, seed: 21, arch: 'mixtral', experts: 4, topK: 2, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } } },
  { name: 'qwen2_moe GPTQ g32, 8 experts top-2 not renormalised, sigmoid-gated shared expert, q/k/v biases, tied', o: { ...base, seed: 23, tied: true, arch: 'qwen2_moe', experts: 8, topK: 2, expertIntermediate: 32, sharedIntermediate: 48, normTopK: false, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } } },
  { name: 'qwen3_moe GPTQ g32, 8 experts top-4 renormalised, head_dim 32, q/k norm', o: { ...base, seed: 22, headDim: 32, arch: 'qwen3_moe', experts: 8, topK: 4, expertIntermediate: 48, normTopK: true, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } } },
];

describe('engine (f32 path) vs llama.cpp on random MoE models', () => {
  for (const c of cases) {
    it(`${c.name}: max |Δ log-prob| < 1e-3`, async () => {
      const dir = makeTempDir('moe-gguf-');
      await makeRandomMoe(dir, c.o);
      const files = nodeDirFiles(dir);
      const ref = await ReferenceLlama.load(files);
      expect(ref.config.moe).toBeTruthy();
      const gguf = join(dir, 'export.gguf');
      writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, syntheticVocab(c.o.vocab)));
      const tokens = Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 89) % 290)));
      const engine = new LlamaEngine(nodeGpu());
      await engine.load(files, { preferF16: false });
      const ours = await engine.logits(tokens);
      await engine.unload();
      const theirs = await llamaCppProbabilities(gguf, tokens);
      const worst = maxLogProbGap(ours, theirs);
      console.log(`${c.name}: WGSL engine (f32) vs llama.cpp max |Δ log-prob| = ${worst.toExponential(2)} over ${tokens.length} positions × ${c.o.vocab}`);
      expect(worst).toBeLessThan(1e-3);
    }, 180_000);
  }
});
