// The WGSL engine (f32 path) on random Qwen2 (GPTQ, q/k/v biases) and Qwen3 (AWQ / GPTQ 8-bit, q/k norm,
// head_dim ≠ hidden/heads) models against llama.cpp (node-llama-cpp) on the same weights exported to GGUF
// (qwen2 / qwen3 architectures; the dequantized weights, since GGUF has no AWQ/GPTQ): log-probabilities.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomLlama, randomModelVocab, type RandomLlamaOptions } from '../../scripts/make-random-llama';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { writeLlamaGguf } from '../../src/model/convert/gguf-writer';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { llamaCppProbabilities, maxLogProbGap } from '../llamacpp-probs';
import { makeTempDir } from '../temp-dir';

const cases: { name: string; o: RandomLlamaOptions }[] = [
  { name: 'qwen2 GPTQ 4-bit g32 act-order, biases, tied', o: { arch: 'qwen2', hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2, vocab: 400, tied: true, seed: 6, dtype: 'f16', quant: { groupSize: 32, actOrder: true, format: 'v1', sym: true } } },
  { name: 'qwen3 AWQ g32, head_dim 48, tied', o: { arch: 'qwen3', hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 48, vocab: 400, tied: true, seed: 7, dtype: 'f16', quant: { method: 'awq', groupSize: 32 } } },
  { name: 'qwen3 GPTQ 8-bit g32 act-order, untied', o: { arch: 'qwen3', hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 1, headDim: 32, vocab: 400, tied: false, seed: 8, dtype: 'f16', quant: { bits: 8, groupSize: 32, actOrder: true, format: 'v1' } } },
];

describe('engine (f32 path) vs llama.cpp on random Qwen models', () => {
  for (const c of cases) {
    it(`${c.name}: max |Δ log-prob| < 1e-3`, async () => {
      const dir = makeTempDir('qwen-gguf-');
      await makeRandomLlama(dir, c.o);
      const files = nodeDirFiles(dir);
      const ref = await ReferenceLlama.load(files);
      const gguf = join(dir, 'export.gguf');
      writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, randomModelVocab(c.o)));
      const tokens = Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 89) % 390)));
      const engine = new LlamaEngine(nodeGpu());
      await engine.load(files, { preferF16: false });
      const ours = await engine.logits(tokens);
      await engine.unload();
      const theirs = await llamaCppProbabilities(gguf, tokens);
      const worst = maxLogProbGap(ours, theirs);
      console.log(`${c.name}: WGSL engine (f32) vs llama.cpp max |Δ log-prob| = ${worst.toExponential(2)} over ${tokens.length} positions × ${c.o.vocab}`);
      expect(worst).toBeLessThan(1e-3);
    }, 120_000);
  }
});
