// Random-weight Llamas written by scripts/make-random-llama.ts (our generator): the engine's logits at every
// position against the plain CPU reference forward (src/model/reference.ts) on the same files. Covers GQA,
// tied and untied heads, llama3 and linear rope scaling, sharded safetensors, GPTQ v1 act-order / v2 / group -1, bias-free
// F16/BF16 tensors, and both precision paths.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomLlama, type RandomLlamaOptions } from '../../scripts/make-random-llama';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { maxAbsDiff } from './helpers';
import { makeTempDir } from '../temp-dir';

const base: RandomLlamaOptions = { hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 300, tied: false, seed: 1 };

const cases: { name: string; o: Partial<RandomLlamaOptions>; tol32: number; tol16: number }[] = [
  { name: 'f32, GQA 4/2, untied', o: { dtype: 'f32' }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'f16, tied, llama3 rope scaling, 3 shards', o: { dtype: 'f16', tied: true, ropeScaling: 'llama3', shards: 3, maxPositionEmbeddings: 4096 }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'bf16, MHA 4/4, head_dim 32', o: { dtype: 'bf16', kvHeads: 4, headDim: 32 }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'GPTQ v1 act-order g32 asym, GQA 4/1, sharded', o: { dtype: 'f16', kvHeads: 1, shards: 2, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'GPTQ v2 g-1 sym, tied, llama3 rope', o: { dtype: 'f16', tied: true, ropeScaling: 'llama3', maxPositionEmbeddings: 4096, quant: { groupSize: -1, actOrder: false, format: 'v2', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'GPTQ v1 g32 sym, linear rope scaling ×4 (deepseek-coder style)', o: { dtype: 'f16', ropeScaling: 'linear', quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen3 GPTQ v1 g32, YaRN ×4 (the Qwen3 model card\'s long-context setting), head_dim 32', o: { arch: 'qwen3', dtype: 'f16', headDim: 32, ropeScaling: 'yarn', quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen2 f16, YaRN ×4, q/k/v biases, tied', o: { arch: 'qwen2', dtype: 'f16', tied: true, ropeScaling: 'yarn' }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'GPTQ v1 g64 act-order, quantize_config.json', o: { dtype: 'f16', hidden: 128, intermediate: 192, quantConfigIn: 'quantize_config', quant: { groupSize: 64, actOrder: true, format: 'v1', sym: false } }, tol32: 1e-5, tol16: 2e-3 },
  // Other architectures (configs as published) and formats: src/model/config.ts, scripts/make-random-llama.ts.
  { name: 'qwen2 f16, q/k/v biases (dense), tied', o: { arch: 'qwen2', dtype: 'f16', tied: true }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen2 GPTQ v1 g32 act-order, q/k/v biases in the GPTQ layers, tied', o: { arch: 'qwen2', dtype: 'f16', tied: true, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen3 bf16, q_norm/k_norm, head_dim 32 ≠ hidden/heads, GQA 4/2', o: { arch: 'qwen3', dtype: 'bf16', headDim: 32 }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen3 AWQ gemm g32, head_dim 32, tied', o: { arch: 'qwen3', dtype: 'f16', headDim: 32, tied: true, quant: { method: 'awq', groupSize: 32 } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen3 GPTQ 8-bit v1 g32 act-order, head_dim 32', o: { arch: 'qwen3', dtype: 'f16', headDim: 32, quant: { bits: 8, groupSize: 32, actOrder: true, format: 'v1' } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen2 GPTQ 8-bit v2 g-1, q/k/v biases', o: { arch: 'qwen2', dtype: 'f16', quant: { bits: 8, groupSize: -1, format: 'v2' } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'mistral f16, sliding_window 5 (narrower than the 17-token sequence)', o: { arch: 'mistral', slidingWindow: 5, dtype: 'f16' }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'mistral AWQ gemm g64, sliding_window 4096 (wider than the context)', o: { arch: 'mistral', slidingWindow: 4096, dtype: 'f16', hidden: 128, intermediate: 192, quant: { method: 'awq', groupSize: 64 } }, tol32: 1e-5, tol16: 2e-3 },
  // A published shape with none of the round numbers above: Qwen2.5-0.5B-Instruct-GPTQ-Int4's layer (hidden 896 = 7
  // groups of 128, intermediate 4864, 14 query heads over 2 KV heads, q/k/v biases, tied), one layer, a small vocabulary.
  { name: "qwen2 GPTQ g128 sym, Qwen2.5-0.5B's layer shape (896 / 4864, heads 14/2), tied", o: { arch: 'qwen2', dtype: 'f16', hidden: 896, intermediate: 4864, layers: 1, heads: 14, kvHeads: 2, vocab: 2000, tied: true, quant: { groupSize: 128, actOrder: false, format: 'v1', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
];

const tokens = [1, 17, 42, 99, 250, 3, 77, 128, 5, 200, 64, 11, 1, 299, 150, 150, 8];

describe('random Llamas: engine logits vs the CPU reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = makeTempDir('rand-llama-');
      await makeRandomLlama(dir, { ...base, ...c.o });
      const files = nodeDirFiles(dir);
      const ref = await ReferenceLlama.load(files);
      const want = ref.logitsFor(tokens);
      for (const precision of ['f32', 'f16'] as const) {
        const engine = new LlamaEngine(nodeGpu());
        const info = await engine.load(files, { preferF16: precision === 'f16' });
        if (precision === 'f16' && !info.f16) continue; // adapter without shader-f16: f32 path already covered
        const got = await engine.logits(tokens);
        await engine.unload();
        let worst = 0, scale = 0;
        for (let i = 0; i < tokens.length; i++) {
          worst = Math.max(worst, maxAbsDiff(got[i], want[i]));
          for (const v of want[i]) scale = Math.max(scale, Math.abs(v));
        }
        console.log(`${c.name} [${precision}]: max |Δlogit| = ${worst.toExponential(2)} (max |logit| ${scale.toFixed(2)})`);
        expect(worst).toBeLessThan((precision === 'f32' ? c.tol32 : c.tol16) * Math.max(1, scale));
      }
    });
  }

  it('prefill in several chunks and decode one token at a time give the same next token as one long prefill', async () => {
    const dir = makeTempDir('rand-llama-');
    await makeRandomLlama(dir, { ...base, dtype: 'f32', quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } });
    const files = nodeDirFiles(dir);
    const ref = await ReferenceLlama.load(files);
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(files, { preferF16: false });
    const model = engine.gpuModel!;
    const greedy = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 };
    // 150 prompt tokens > maxBatch (64): three prefill chunks; then 5 greedy decode steps.
    const prompt = Array.from({ length: 150 }, (_, i) => (i * 37 + 11) % 300);
    const seq = [...prompt];
    let tok = await model.prefill(prompt, greedy);
    for (let s = 0; s < 5; s++) {
      seq.push(tok);
      tok = await model.decode(tok, seq.length - 1, greedy, s + 1);
    }
    seq.push(tok);
    const want = ref.logitsFor(seq.slice(0, -1));
    for (let i = prompt.length - 1; i < seq.length - 1; i++) {
      const row = want[i];
      let best = 0;
      for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
      expect(seq[i + 1], `token after position ${i}`).toBe(best);
    }
    await engine.unload();
  });
});

describe('decode bytes per token (bench) of a real folder', () => {
  it('counts an 8-bit GPTQ layer whole (both 4-bit halves): at least its qweight bytes on disk', async () => {
    const { openCheckpoint } = await import('../../src/model/checkpoint');
    const { uploadLlamaWeights } = await import('../../src/model/weights-gpu');
    const { decodeBytesPerToken } = await import('../../src/model/synthetic');
    const { testGpu } = await import('./helpers');
    const ctx = await testGpu();
    const o = { ...base, arch: 'qwen3' as const, dtype: 'f16' as const, headDim: 32, quant: { bits: 8 as const, groupSize: 32, actOrder: false, format: 'v1' as const } };
    const dir = makeTempDir('rand-llama-8bit-');
    await makeRandomLlama(dir, o);
    const w = await uploadLlamaWeights(ctx, await openCheckpoint(nodeDirFiles(dir)), { fuse: false });
    try {
      // Each linear's 8-bit qweight is N·K bytes; q, k, v, o, gate, up, down per layer (lm_head dense, untied: V·D f16).
      const D = o.hidden, F = o.intermediate, q = o.heads * o.headDim, kv = o.kvHeads * o.headDim;
      const qweightBytes = o.layers * (D * q + 2 * D * kv + q * D + 2 * D * F + F * D);
      expect(w.layers.every((L) => L.lowHalf && Object.keys(L.lowHalf).length === 7)).toBe(true);
      expect(decodeBytesPerToken(w)).toBeGreaterThanOrEqual(qweightBytes + o.vocab * D * 2);
    } finally {
      w.destroy();
    }
  });
});
