// Mixture-of-experts routing on the CPU reference, one test per rule (src/model/moe.ts states them):
// softmax over all experts then top-k, renormalised (Mixtral, norm_topk_prob) or not (Qwen1.5-MoE, OLMoE);
// Qwen2-MoE's sigmoid-gated shared expert; dense layers inside an MoE model (mlp_only_layers,
// decoder_sparse_step); Qwen3-MoE vs llama.cpp; OLMoE's whole-projection q/k norm and clip_qkv; named errors for bad configs and
// missing expert tensors; and the GPU engine refusing MoE models by name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomMoe, syntheticVocab } from '../../scripts/make-random-llama';
import { writeLlamaGguf } from '../../src/model/convert/gguf-writer';
import { llamaCppProbabilities, maxLogProbGap } from '../llamacpp-probs';
import { openCheckpoint } from '../../src/model/checkpoint';
import { parseModelConfig, type LlamaConfig } from '../../src/model/config';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { moeCombine, routeTopK, sigmoid, sparseLayers } from '../../src/model/moe';
import { nodeDirFiles } from '../../src/model/node-files';
import { expertMlp, layerForward, KvCache, moeMlp, ReferenceLlama, type ExpertF32, type LayerWeightsF32, type MoeLayerF32 } from '../../src/model/reference';
import { ropeInvFreq } from '../../src/model/rope';
import { writeSafetensors, type TensorToWrite } from '../../src/model/safetensors';
import type { AppError } from '../../src/shared/errors';
import { seededRandom } from '../../src/shared/random';
import { makeTempDir } from '../temp-dir';
import { thrownBy } from '../caught-error';

const softmax = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('routing rules', () => {
  const logits = [0.1, 2.0, -1.0, 1.5, 0.3];
  const p = softmax(logits);

  it('top-k of the softmax over ALL experts, best first; renormalised when norm_topk_prob (Mixtral)', () => {
    const r = routeTopK(logits, 2, true);
    expect(r.ids).toEqual([1, 3]);
    expect(r.weights[0]).toBeCloseTo(p[1] / (p[1] + p[3]), 6);
    expect(r.weights[1]).toBeCloseTo(p[3] / (p[1] + p[3]), 6);
    expect(r.weights[0] + r.weights[1]).toBeCloseTo(1, 6);
  });

  it('without norm_topk_prob the chosen experts keep their full-softmax probabilities (Qwen1.5-MoE, OLMoE)', () => {
    const r = routeTopK(logits, 2, false);
    expect(r.ids).toEqual([1, 3]);
    expect(r.weights[0]).toBeCloseTo(p[1], 6);
    expect(r.weights[1]).toBeCloseTo(p[3], 6);
    // Not the softmax over the two chosen logits only (a common mistake).
    expect(Math.abs(r.weights[0] - softmax([2.0, 1.5])[0])).toBeGreaterThan(0.1);
  });

  it('ties go to the lower expert id; k = all experts keeps every probability', () => {
    expect(routeTopK([1, 3, 3, 0], 2, true).ids).toEqual([1, 2]);
    const all = routeTopK(logits, 5, false);
    expect(all.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('num_experts_per_tok outside 1..num_experts is a named error, in routing and in the config', () => {
    expect(thrownBy(() => routeTopK(logits, 6, true)).code).toBe('MALFORMED_CONFIG');
    const e = thrownBy(() => parseModelConfig({ ...mixtralCfg, num_experts_per_tok: 9 }));
    expect(e.code).toBe('MALFORMED_CONFIG');
    expect(e.message).toContain('num_experts_per_tok');
  });

  it('combines Σ w_j · expert_j(x), plus sigmoid(gate · x) · shared(x) for the Qwen2-MoE shared expert', () => {
    const x = Float32Array.from([1, -2, 0.5]);
    const route = { ids: [2, 0], weights: [0.7, 0.2] };
    const expert = (e: number, v: Float32Array) => v.map((t) => t * (e + 1)); // expert e scales by e + 1
    const gate = Float32Array.from([0.3, 0.1, -0.4]);
    const g = sigmoid(0.3 * 1 + 0.1 * -2 + -0.4 * 0.5);
    const y = moeCombine(x, route, expert, { mlp: (v) => v.map((t) => -t), gate });
    for (let i = 0; i < 3; i++) expect(y[i]).toBeCloseTo(0.7 * 3 * x[i] + 0.2 * 1 * x[i] + g * -x[i], 6);
    const noShared = moeCombine(x, route, expert);
    for (let i = 0; i < 3; i++) expect(noShared[i]).toBeCloseTo(0.7 * 3 * x[i] + 0.2 * x[i], 6);
  });

  it('dense layers inside an MoE model: mlp_only_layers and decoder_sparse_step decide', () => {
    expect(sparseLayers(6, { numExperts: 8, decoderSparseStep: 1, mlpOnlyLayers: [] })).toEqual([true, true, true, true, true, true]);
    expect(sparseLayers(6, { numExperts: 8, decoderSparseStep: 2, mlpOnlyLayers: [] })).toEqual([false, true, false, true, false, true]);
    expect(sparseLayers(6, { numExperts: 8, decoderSparseStep: 1, mlpOnlyLayers: [0, 4] })).toEqual([false, true, true, true, false, true]);
    expect(sparseLayers(3, { numExperts: 0, decoderSparseStep: 1, mlpOnlyLayers: [] })).toEqual([false, false, false]);
    const c = parseModelConfig({ ...qwen2MoeCfg, num_hidden_layers: 4, decoder_sparse_step: 2, mlp_only_layers: [3] });
    expect(c.moe!.sparse).toEqual([false, true, false, false]);
  });
});

// Config fields as the published configs name them (values shrunk).
const base = { hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 300, rms_norm_eps: 1e-6, max_position_embeddings: 64, bos_token_id: 1, eos_token_id: 2 };
const mixtralCfg = { ...base, architectures: ['MixtralForCausalLM'], model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2, sliding_window: null };
const qwen2MoeCfg = { ...base, architectures: ['Qwen2MoeForCausalLM'], model_type: 'qwen2_moe', num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 8, shared_expert_intermediate_size: 12, norm_topk_prob: false, decoder_sparse_step: 1, mlp_only_layers: [], use_sliding_window: false };
const olmoeCfg = { ...base, architectures: ['OlmoeForCausalLM'], model_type: 'olmoe', num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: false, clip_qkv: 0.5 };

describe('MoE configs', () => {
  it('Mixtral renormalises, Qwen2-MoE reads norm_topk_prob and its shared expert, Qwen3-MoE has per-head q/k norm, OLMoE whole-projection norm + clip', () => {
    expect(parseModelConfig(mixtralCfg).moe).toMatchObject({ numExperts: 4, topK: 2, normTopK: true, expertIntermediateSize: 24, sharedExpertIntermediateSize: 0 });
    expect(parseModelConfig(qwen2MoeCfg).moe).toMatchObject({ normTopK: false, expertIntermediateSize: 8, sharedExpertIntermediateSize: 12, sparse: [true, true] });
    const q3 = parseModelConfig({ ...qwen2MoeCfg, architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', head_dim: 8, norm_topk_prob: true });
    expect(q3).toMatchObject({ qkNorm: true, qkNormWhole: false });
    expect(q3.moe).toMatchObject({ normTopK: true, sharedExpertIntermediateSize: 0 });
    expect(parseModelConfig(olmoeCfg)).toMatchObject({ qkNormWhole: true, clipQkv: 0.5, moe: { normTopK: false } });
  });
});

describe('OLMoE attention: q/k RMSNorm over the whole projection, then clip_qkv', () => {
  it('normalises k over all its heads at once (not per head), then clamps q, k, v to ±clip_qkv', () => {
    const cfg = parseModelConfig({ ...olmoeCfg, num_key_value_heads: 2 }); // head_dim 8: k has two heads
    const rand = seededRandom(3);
    const D = 16, qDim = 16, kvDim = 16;
    const lin = (N: number, K: number) => ({ w: Float32Array.from({ length: N * K }, () => rand() * 2 - 1), N, K });
    const ones = (n: number) => new Float32Array(n).fill(1);
    const layer: LayerWeightsF32 = { attnNorm: ones(D), qNorm: Float32Array.from({ length: qDim }, () => 1 + rand()), kNorm: Float32Array.from({ length: kvDim }, () => 1 + rand()), q: lin(qDim, D), k: lin(kvDim, D), v: lin(kvDim, D), o: lin(D, qDim), mlpNorm: ones(D), gate: lin(24, D), up: lin(24, D), down: lin(D, 24) };
    const x0 = Float32Array.from({ length: D }, (_, i) => Math.sin(i + 1));
    const run = (c: LlamaConfig) => {
      const cache = new KvCache(1, kvDim);
      layerForward(x0.slice(), layer, cache, 0, 0, c, ropeInvFreq(c));
      return { k: cache.keys[0].slice(0, kvDim), v: cache.values[0].slice(0, kvDim) };
    };
    // By hand (position 0: RoPE is the identity, so the cache holds k and v as projected and normed).
    const n = x0.map((t) => t / Math.sqrt(x0.reduce((a, b) => a + b * b, 0) / D + 1e-6));
    const kRaw = Array.from({ length: kvDim }, (_, r) => layer.k.w.subarray(r * D, (r + 1) * D).reduce((a, w, i) => a + w * n[i], 0));
    const rms = (a: number[]) => Math.sqrt(a.reduce((s, t) => s + t * t, 0) / a.length + 1e-6);
    const kWhole = kRaw.map((t, i) => (t / rms(kRaw)) * layer.kNorm![i]);
    const kPerHead = kRaw.map((t, i) => (t / rms(kRaw.slice(i < 8 ? 0 : 8, i < 8 ? 8 : 16))) * layer.kNorm![i]);
    const unclipped = run({ ...cfg, moe: null, clipQkv: null });
    for (let i = 0; i < kvDim; i++) expect(unclipped.k[i]).toBeCloseTo(kWhole[i], 4);
    expect(Math.max(...kWhole.map((t, i) => Math.abs(t - kPerHead[i])))).toBeGreaterThan(1e-3); // the rule matters
    const clipped = run({ ...cfg, moe: null });
    for (let i = 0; i < kvDim; i++) expect(clipped.k[i]).toBeCloseTo(Math.min(0.5, Math.max(-0.5, kWhole[i])), 4);
    for (let i = 0; i < kvDim; i++) expect(clipped.v[i]).toBeCloseTo(Math.min(0.5, Math.max(-0.5, unclipped.v[i])), 6);
    expect(Math.max(...unclipped.v.map(Math.abs))).toBeGreaterThan(0.5); // the clamp did something
  });
});

/** A complete tiny MoE checkpoint (Mixtral or Qwen2-MoE names), optionally without one tensor. */
async function tinyMoe(cfg: Record<string, unknown>, names: 'mixtral' | 'qwen', drop?: string): Promise<string> {
  const rand = seededRandom(9);
  const t: TensorToWrite[] = [];
  const f32 = (name: string, shape: number[], scale = 0.3) => t.push({ name, dtype: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * scale) });
  const D = 16, V = 300, E = 4, I = names === 'mixtral' ? 24 : 8; // V: syntheticVocab(300) has the byte tokens llama.cpp needs
  f32('model.embed_tokens.weight', [V, D], 1);
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}`;
    f32(`${p}.input_layernorm.weight`, [D]);
    f32(`${p}.post_attention_layernorm.weight`, [D]);
    f32(`${p}.self_attn.q_proj.weight`, [16, D]);
    f32(`${p}.self_attn.k_proj.weight`, [8, D]);
    f32(`${p}.self_attn.v_proj.weight`, [8, D]);
    f32(`${p}.self_attn.o_proj.weight`, [D, 16]);
    if (names === 'qwen') for (const [n, r] of [['q', 16], ['k', 8], ['v', 8]] as const) f32(`${p}.self_attn.${n}_proj.bias`, [r]); // Qwen2-MoE's q/k/v biases
    if (names === 'mixtral') {
      f32(`${p}.block_sparse_moe.gate.weight`, [E, D], 1);
      for (let e = 0; e < E; e++) f32(`${p}.block_sparse_moe.experts.${e}.w1.weight`, [I, D]), f32(`${p}.block_sparse_moe.experts.${e}.w3.weight`, [I, D]), f32(`${p}.block_sparse_moe.experts.${e}.w2.weight`, [D, I]);
    } else {
      f32(`${p}.mlp.gate.weight`, [E, D], 1);
      for (let e = 0; e < E; e++) f32(`${p}.mlp.experts.${e}.gate_proj.weight`, [I, D]), f32(`${p}.mlp.experts.${e}.up_proj.weight`, [I, D]), f32(`${p}.mlp.experts.${e}.down_proj.weight`, [D, I]);
      f32(`${p}.mlp.shared_expert.gate_proj.weight`, [12, D]);
      f32(`${p}.mlp.shared_expert.up_proj.weight`, [12, D]);
      f32(`${p}.mlp.shared_expert.down_proj.weight`, [D, 12]);
      f32(`${p}.mlp.shared_expert_gate.weight`, [1, D], 1);
    }
  }
  f32('model.norm.weight', [D]);
  f32('lm_head.weight', [V, D]);
  const dir = makeTempDir('moe-');
  const files = new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode(JSON.stringify(cfg))],
    ['model.safetensors', writeSafetensors(t.filter((x) => x.name !== drop))],
  ]);
  await writeModelDir(dir, files);
  return dir;
}

describe('MoE checkpoints on the CPU reference', () => {
  it('a Mixtral layer routes each token through its top-2 experts (checked expert by expert)', async () => {
    const ref = await ReferenceLlama.load(nodeDirFiles(await tinyMoe(mixtralCfg, 'mixtral')));
    const m = ref.weights.layers[0].moe as MoeLayerF32;
    expect(m.experts.length).toBe(4);
    const x = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i));
    const logits = Array.from({ length: 4 }, (_, e) => m.router.w.subarray(e * 16, (e + 1) * 16).reduce((s, w, i) => s + w * x[i], 0));
    const p = softmax(logits);
    const top = [0, 1, 2, 3].sort((a, b) => p[b] - p[a]).slice(0, 2);
    const want = new Float32Array(16);
    for (const e of top) {
      const y = expertMlp(x, m.experts[e] as ExpertF32);
      for (let i = 0; i < 16; i++) want[i] += (p[e] / (p[top[0]] + p[top[1]])) * y[i];
    }
    const got = moeMlp(x, m, ref.config);
    for (let i = 0; i < 16; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    const logitsOut = ref.logitsFor([1, 5, 7, 3]);
    expect(logitsOut[3].every(Number.isFinite)).toBe(true);
  });

  it('Qwen2-MoE loads its shared expert and gate; the shared expert changes the output', async () => {
    const ref = await ReferenceLlama.load(nodeDirFiles(await tinyMoe(qwen2MoeCfg, 'qwen')));
    const m = ref.weights.layers[1].moe!;
    expect(m.shared?.gate.length).toBe(16);
    const x = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const without = moeMlp(x, { ...m, shared: undefined }, ref.config);
    const withShared = moeMlp(x, m, ref.config);
    const g = sigmoid(m.shared!.gate.reduce((s, w, i) => s + w * x[i], 0));
    const sh = expertMlp(x, m.shared!.expert);
    for (let i = 0; i < 16; i++) expect(withShared[i]).toBeCloseTo(without[i] + g * sh[i], 5);
  });

  it('a missing expert tensor is MALFORMED_WEIGHTS naming it', async () => {
    const missing = 'model.layers.1.block_sparse_moe.experts.2.w2';
    const dir = await tinyMoe(mixtralCfg, 'mixtral', `${missing}.weight`);
    let err: AppError | undefined;
    await ReferenceLlama.load(nodeDirFiles(dir)).catch((e) => (err = e));
    expect(err?.code).toBe('MALFORMED_WEIGHTS');
    expect(err?.message).toContain(missing);
  });

  it('the GPU upload refuses unquantised experts (GPU MoE runs 4-bit experts) by name, before touching the GPU', async () => {
    const { uploadLlamaWeights } = await import('../../src/model/weights-gpu');
    const ck = await openCheckpoint(nodeDirFiles(await tinyMoe(mixtralCfg, 'mixtral')));
    let err: AppError | undefined;
    await uploadLlamaWeights(null as never, ck).catch((e) => (err = e));
    expect(err?.code).toBe('UNSUPPORTED_MODEL');
    expect(err?.message).toContain('model.layers.0.block_sparse_moe.experts.0.w1 is an unquantised expert');
  });
});

describe('MoE routing vs llama.cpp', () => {
  it('a random Mixtral (4 experts, top-2, every layer sparse): log-probabilities within 1e-3 of llama.cpp', async () => {
    const cfg = { ...mixtralCfg, max_position_embeddings: 128 };
    const dir = await tinyMoe(cfg, 'mixtral');
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    const gguf = join(dir, 'mixtral.gguf');
    writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, syntheticVocab(300)));
    const tokens = Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 37) % 290)));
    const ours = ref.logitsFor(tokens);
    const theirs = await llamaCppProbabilities(gguf, tokens);
    const worst = maxLogProbGap(ours, theirs);
    // The same model with the top-k weights NOT renormalised is far off: the comparison sees the rule.
    const unnormalised = new ReferenceLlama({ ...ref.config, moe: { ...ref.config.moe!, normTopK: false } }, ref.weights).logitsFor(tokens);
    const off = maxLogProbGap(unnormalised, theirs);
    console.log(`random Mixtral reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} (without renormalisation: ${off.toExponential(2)})`);
    expect(worst).toBeLessThan(1e-3);
    expect(off).toBeGreaterThan(1e-3); // beyond the tolerance, so the comparison tells the two rules apart
    expect(off).toBeGreaterThan(100 * worst);
  }, 60_000);

  it('a random Qwen2-MoE (top-2 of 4 without renormalisation, sigmoid-gated shared expert): within 1e-3 of llama.cpp', async () => {
    const dir = await tinyMoe({ ...qwen2MoeCfg, max_position_embeddings: 128 }, 'qwen');
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    const gguf = join(dir, 'qwen2moe.gguf');
    writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, syntheticVocab(300)));
    const tokens = Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 41) % 290)));
    const theirs = await llamaCppProbabilities(gguf, tokens);
    const dist = (logits: Float32Array[]) => maxLogProbGap(logits, theirs);
    const worst = dist(ref.logitsFor(tokens));
    const noShared = dist(new ReferenceLlama(ref.config, { ...ref.weights, layers: ref.weights.layers.map((l) => ({ ...l, moe: { ...l.moe!, shared: undefined } })) }).logitsFor(tokens));
    const renormalised = dist(new ReferenceLlama({ ...ref.config, moe: { ...ref.config.moe!, normTopK: true } }, ref.weights).logitsFor(tokens));
    console.log(`random Qwen2-MoE reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} (without the shared expert: ${noShared.toExponential(2)}, renormalised: ${renormalised.toExponential(2)})`);
    expect(worst).toBeLessThan(1e-3);
    expect(noShared).toBeGreaterThan(100 * worst);
    expect(renormalised).toBeGreaterThan(100 * worst);
  }, 60_000);

  it('a random Qwen3-MoE (top-2 of 8 renormalised, per-head q/k norm, head_dim ≠ hidden/heads): within 1e-3 of llama.cpp', async () => {
    const dir = makeTempDir('qwen3moe-');
    await makeRandomMoe(dir, { arch: 'qwen3_moe', hidden: 32, intermediate: 48, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 300, tied: false, seed: 11, experts: 8, topK: 2, expertIntermediate: 24, normTopK: true, maxPositionEmbeddings: 128 });
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    expect(ref.config).toMatchObject({ architecture: 'qwen3_moe', qkNorm: true, moe: { numExperts: 8, topK: 2, normTopK: true, expertIntermediateSize: 24 } });
    const gguf = join(dir, 'qwen3moe.gguf');
    writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, syntheticVocab(300)));
    const tokens = Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 43) % 290)));
    const theirs = await llamaCppProbabilities(gguf, tokens);
    const dist = (logits: Float32Array[]) => maxLogProbGap(logits, theirs);
    const worst = dist(ref.logitsFor(tokens));
    const unnormalised = dist(new ReferenceLlama({ ...ref.config, moe: { ...ref.config.moe!, normTopK: false } }, ref.weights).logitsFor(tokens));
    console.log(`random Qwen3-MoE reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} (without renormalisation: ${unnormalised.toExponential(2)})`);
    expect(worst).toBeLessThan(1e-3);
    expect(unnormalised).toBeGreaterThan(100 * worst);
    // llama.cpp's qwen3moe always renormalises: a norm_topk_prob false model is refused, not exported wrong.
    expect(() => writeLlamaGguf({ ...ref.config, moe: { ...ref.config.moe!, normTopK: false } }, ref.weights, syntheticVocab(300))).toThrow(/norm_topk_prob/);
  }, 60_000);
});
