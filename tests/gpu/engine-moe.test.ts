// Random mixture-of-experts models written by scripts/make-random-llama.ts (makeRandomMoeFiles) on the GPU
// engine: logits at every position vs the CPU reference (src/model/reference.ts, routing from src/model/moe.ts)
// on both precision paths, and greedy prefill + decode giving the reference's tokens. The GPU routes on the GPU
// (shaders/moe-route.wgsl) and runs only the chosen experts (shaders/moe-expert-*.wgsl).
import { describe, expect, it } from 'vitest';
import { makeRandomMoe, makeRandomMoeFiles, type RandomMoeOptions } from '../../scripts/make-random-llama';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { parseSafetensorsHeader, writeSafetensors, type TensorToWrite } from '../../src/model/safetensors';
import type { AppError } from '../../src/shared/errors';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { maxAbsDiff } from './helpers';
import { makeTempDir } from '../temp-dir';

const base = { hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 300, tied: false, seed: 3, dtype: 'f16' as const };

const cases: { name: string; o: RandomMoeOptions; tol32: number; tol16: number }[] = [
  { name: 'mixtral GPTQ v1 g32 act-order, 4 experts top-2 (renormalised)', o: { ...base, arch: 'mixtral', experts: 4, topK: 2, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } }, tol32: 1e-5, tol16: 2e-3 },
  {
    name: 'qwen2_moe GPTQ g32, 8 experts top-2 without renormalisation, shared expert, layer 0 dense (mlp_only_layers), biases, tied',
    o: { ...base, layers: 3, tied: true, arch: 'qwen2_moe', experts: 8, topK: 2, expertIntermediate: 32, sharedIntermediate: 48, normTopK: false, mlpOnlyLayers: [0], quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } },
    tol32: 1e-5, tol16: 2e-3,
  },
  { name: 'olmoe GPTQ g32 act-order, 8 experts top-4 without renormalisation, q/k norm over the whole projections', o: { ...base, arch: 'olmoe', experts: 8, topK: 4, normTopK: false, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } }, tol32: 1e-5, tol16: 2e-3 },
  { name: 'qwen3_moe GPTQ v2 g-1, 8 experts top-4 renormalised, head_dim 32, q/k norm', o: { ...base, headDim: 32, arch: 'qwen3_moe', experts: 8, topK: 4, expertIntermediate: 48, normTopK: true, quant: { groupSize: -1, actOrder: false, format: 'v2', sym: true } }, tol32: 1e-5, tol16: 2e-3 },
];

const tokens = [1, 17, 42, 99, 250, 3, 77, 128, 5, 200, 64, 11, 1, 299, 150, 150, 8];

describe('random MoE models: engine logits vs the CPU reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = makeTempDir('rand-moe-');
      await makeRandomMoe(dir, c.o);
      const files = nodeDirFiles(dir);
      const ref = await ReferenceLlama.load(files);
      expect(ref.config.moe).toBeTruthy();
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

  it('greedy: a 70-token prompt in two prefill chunks + 5 decode steps give the reference\'s tokens (qwen2_moe with a shared expert)', async () => {
    const dir = makeTempDir('rand-moe-');
    await makeRandomMoe(dir, cases[1].o);
    const files = nodeDirFiles(dir);
    const ref = await ReferenceLlama.load(files);
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(files, { preferF16: false });
    const model = engine.gpuModel!;
    const greedy = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 };
    const prompt = Array.from({ length: 70 }, (_, i) => (i * 37 + 11) % 300);
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

describe('synthetic MoE bench shapes', () => {
  it('moe-tiny-test: decodes on the GPU; bytes per token count the router and the top-k experts, not all experts', async () => {
    const { SYNTHETIC_MOE_SHAPES, makeSyntheticMoeWeights, moeExpertBytesPerToken, moeTotalExpertBytes } = await import('../../src/model/moe-synthetic');
    const { decodeBytesPerToken } = await import('../../src/model/synthetic');
    const { LlamaGpu } = await import('../../src/model/llama-gpu');
    const { testGpu } = await import('./helpers');
    const ctx = await testGpu();
    const cfg = SYNTHETIC_MOE_SHAPES['moe-tiny-test'];
    const moe = cfg.moe!;
    const w = makeSyntheticMoeWeights(ctx, cfg);
    expect(w.layers.every((L) => L.moe && !L.gate)).toBe(true);
    const D = cfg.hiddenSize, F = moe.expertIntermediateSize, nG = (k: number) => Math.ceil(k / cfg.quant!.groupSize);
    const oneExpert = 2 * F * (D / 2) + 2 * F * nG(D) * 4 + D * (F / 2) + D * nG(F) * 4;
    const router = moe.numExperts * D * 2; // f16
    expect(moeExpertBytesPerToken(w, cfg)).toBe(cfg.numLayers * (router + moe.topK * oneExpert));
    expect(moeTotalExpertBytes(cfg)).toBe(cfg.numLayers * moe.numExperts * oneExpert); // what must fit in memory
    expect(decodeBytesPerToken(w)).toBeGreaterThan(0); // attention + lm_head (dense part)
    const llama = LlamaGpu.create(ctx, cfg, w, { maxSeq: 32 });
    const s = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
    let tok = await llama.prefill([1, 5, 9, 300, 2], s);
    tok = await llama.decode(tok, 5, s, 1);
    expect(tok).toBeGreaterThanOrEqual(0);
    expect(tok).toBeLessThan(cfg.vocabSize);
    llama.destroy();
    w.destroy();
  });
});

describe('MoE bad input on the GPU engine: named errors, nothing hangs', () => {
  const small: RandomMoeOptions = { ...base, layers: 1, arch: 'qwen3_moe', experts: 4, topK: 2, expertIntermediate: 32, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } };
  const loadError = async (files: Map<string, Uint8Array>): Promise<AppError> => {
    const dir = makeTempDir('bad-moe-');
    await writeModelDir(dir, files);
    const engine = new LlamaEngine(nodeGpu());
    let err: AppError | undefined;
    await engine.load(nodeDirFiles(dir), { preferF16: false }).catch((e) => (err = e));
    await engine.unload();
    if (!err) throw new Error('expected the load to fail');
    return err;
  };

  it('a missing expert tensor is MALFORMED_WEIGHTS naming it', async () => {
    const files = makeRandomMoeFiles(small);
    const st = files.get('model.safetensors')!;
    const h = parseSafetensorsHeader(st);
    const kept: TensorToWrite[] = [];
    for (const [name, t] of h.tensors) {
      if (name.startsWith('model.layers.0.mlp.experts.3.down_proj.')) continue;
      const bytes = st.slice(h.dataOffset + t.begin, h.dataOffset + t.end);
      kept.push({ name, dtype: t.dtype, shape: t.shape, data: t.dtype === 'F32' ? new Float32Array(bytes.buffer) : t.dtype === 'I32' ? new Int32Array(bytes.buffer) : new Uint16Array(bytes.buffer) });
    }
    files.set('model.safetensors', writeSafetensors(kept, h.metadata));
    const err = await loadError(files);
    expect(err.code).toBe('MALFORMED_WEIGHTS');
    expect(err.message).toContain('model.layers.0.mlp.experts.3.down_proj');
  });

  it('OLMoE with clip_qkv set is refused on the GPU by name (the CPU reference runs it)', async () => {
    const files = makeRandomMoeFiles({ ...small, arch: 'olmoe', quant: undefined, dtype: 'f32' });
    const cfg = JSON.parse(new TextDecoder().decode(files.get('config.json')!));
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...cfg, clip_qkv: 8 })));
    const err = await loadError(files);
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toContain('clip_qkv 8');
  });
});
