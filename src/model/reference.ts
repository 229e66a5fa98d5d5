// The plain CPU fp32 Llama-family forward (HF semantics, SPEC-llama-gptq.md), written in the order of the math
// like llama2.c's run.c. It is the independent reference for the GPU engine and the converter's quantization.
// Quantized layers are dequantized once at load straight from the file formulas: dequantGptq (GPTQ 4-bit, and
// AWQ after its repack), dequantGptq8 (GPTQ 8-bit). Architecture switches (src/model/config.ts):
//   q/k/v (and any other) biases: whatever `.bias` tensors exist (Qwen2);
//   qkNorm (Qwen3): q, k ← RMSNorm per head with q_norm / k_norm [headDim], after the projection, before RoPE;
//   slidingWindow (Mistral): a query at position i attends to keys j with i − W < j ≤ i;
//   moe (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE): the MLP of a sparse layer is routed (src/model/moe.ts);
//   qkNormWhole / clipQkv (OLMoE): q_norm / k_norm over the whole projections, then q, k, v clamped.
import { AppError } from '../shared/errors';
import { openCheckpoint, type Checkpoint, LINEAR_NAMES, QK_NORM_NAMES, type LinearKey } from './checkpoint';
import type { LlamaConfig } from './config';
import { f16BitsArrayToF32 } from '../shared/f16';
import type { ModelFiles } from './files';
import { dequantGptq } from './gptq-pack';
import { dequantGptq8 } from './gptq8-pack';
import { moeCombine, routeTopK } from './moe';
import { applyRope, ropeAttentionFactor, ropeInvFreq } from './rope';

/** A linear layer y = W x (+ b) with W [N, K] row-major (nn.Linear layout). */
export interface LinearF32 {
  w: Float32Array /* [N, K] */;
  bias?: Float32Array /* [N] */;
  N: number;
  K: number;
}

export interface LayerWeightsF32 {
  attnNorm: Float32Array /* [D] */;
  /** Qwen3: RMSNorm weights applied to every head of q / k. */
  qNorm?: Float32Array /* [headDim] */;
  kNorm?: Float32Array /* [headDim] */;
  q: LinearF32 /* [heads*headDim, D] */;
  k: LinearF32 /* [kvHeads*headDim, D] */;
  v: LinearF32 /* [kvHeads*headDim, D] */;
  o: LinearF32 /* [D, heads*headDim] */;
  mlpNorm: Float32Array /* [D] */;
  gate: LinearF32 /* [I, D] */;
  up: LinearF32 /* [I, D] */;
  down: LinearF32 /* [D, I] */;
  /** A sparse layer's MLP; then gate/up/down are NO_DENSE_MLP. */
  moe?: MoeLayerF32;
}

/** One expert (or the shared expert): down(silu(gate x) ⊙ up x). */
export interface ExpertF32 {
  gate: LinearF32 /* [I_e, D] */;
  up: LinearF32 /* [I_e, D] */;
  down: LinearF32 /* [D, I_e] */;
}

export interface MoeLayerF32 {
  router: LinearF32 /* [E, D] */;
  experts: ExpertF32[];
  /** Qwen2-MoE: the shared expert and its gate row shared_expert_gate [1, D]. */
  shared?: { expert: ExpertF32; gate: Float32Array /* [D] */ };
}

/** The dense gate/up/down of a sparse (MoE) layer, which has none. */
export const NO_DENSE_MLP: LinearF32 = { w: new Float32Array(0), N: 0, K: 0 };

export interface LlamaWeightsF32 {
  embed: Float32Array /* [V, D] */;
  layers: LayerWeightsF32[];
  finalNorm: Float32Array /* [D] */;
  /** [V, D]; the same array as embed when tied. */
  lmHead: Float32Array;
}


// ---- math primitives (fp32 storage; sums in double, rounded to fp32 on store) ----

/** out[i] = x[i] * rsqrt(mean(x²) + eps) * weight[i]. */
export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const inv = 1 / Math.sqrt(Math.fround(ss / x.length + eps));
  for (let i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
}

/** RMSNorm of the head slice x[offset .. offset + weight.length) in place (Qwen3 q_norm / k_norm). */
export function rmsnormHead(x: Float32Array, offset: number, weight: Float32Array, eps: number): void {
  const head = x.subarray(offset, offset + weight.length);
  rmsnorm(head, head, weight, eps);
}

/** out[n] = Σ_k W[n, k]·x[k] (+ bias[n]). */
export function linear(out: Float32Array, x: Float32Array, l: LinearF32): void {
  const { w, N, K } = l;
  const K4 = K & ~3;
  for (let n = 0; n < N; n++) {
    const row = n * K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k < K4; k += 4) {
      s0 += w[row + k] * x[k];
      s1 += w[row + k + 1] * x[k + 1];
      s2 += w[row + k + 2] * x[k + 2];
      s3 += w[row + k + 3] * x[k + 3];
    }
    for (; k < K; k++) s0 += w[row + k] * x[k];
    const s = s0 + s1 + (s2 + s3);
    out[n] = l.bias ? s + l.bias[n] : s;
  }
}

export function silu(a: number): number {
  return a / (1 + Math.exp(-a));
}

/** Per-sequence state: KV cache [layers][pos, kvHeads*headDim] that grows with the positions. */
export class KvCache {
  keys: Float32Array[];
  values: Float32Array[];
  capacity = 0;
  constructor(
    readonly layers: number,
    readonly kvDim: number,
  ) {
    this.keys = [];
    this.values = [];
    this.ensure(64);
  }
  ensure(positions: number): void {
    if (positions <= this.capacity) return;
    const cap = Math.max(positions, this.capacity * 2);
    for (let l = 0; l < this.layers; l++) {
      const k = new Float32Array(cap * this.kvDim);
      const v = new Float32Array(cap * this.kvDim);
      if (this.keys[l]) {
        k.set(this.keys[l]);
        v.set(this.values[l]);
      }
      this.keys[l] = k;
      this.values[l] = v;
    }
    this.capacity = cap;
  }
}

/**
 * Causal GQA attention of one query position over the cache positions 0..pos.
 * q [heads*headDim] (already rotated); writes out [heads*headDim].
 */
export function attend(out: Float32Array, q: Float32Array, keys: Float32Array, values: Float32Array, pos: number, cfg: LlamaConfig): void {
  const { numHeads, numKvHeads, headDim } = cfg;
  const kvDim = numKvHeads * headDim;
  const nRep = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const scores = new Float32Array(pos + 1);
  // Sliding window W: keys pos − W < t ≤ pos (HF Mistral masks t ≤ pos − W); the first key position is t0.
  const t0 = cfg.slidingWindow ? Math.max(0, pos - cfg.slidingWindow + 1) : 0;
  for (let h = 0; h < numHeads; h++) {
    const kvh = Math.floor(h / nRep);
    const qo = h * headDim;
    let max = -Infinity;
    for (let t = t0; t <= pos; t++) {
      const ko = t * kvDim + kvh * headDim;
      let s = 0;
      for (let i = 0; i < headDim; i++) s += q[qo + i] * keys[ko + i];
      scores[t] = s * scale;
      if (scores[t] > max) max = scores[t];
    }
    let sum = 0;
    for (let t = t0; t <= pos; t++) {
      scores[t] = Math.exp(scores[t] - max);
      sum += scores[t];
    }
    for (let i = 0; i < headDim; i++) out[qo + i] = 0;
    for (let t = t0; t <= pos; t++) {
      const p = scores[t] / sum;
      const vo = t * kvDim + kvh * headDim;
      for (let i = 0; i < headDim; i++) out[qo + i] += p * values[vo + i];
    }
  }
}

/** One token through one decoder layer, in place on x [D]; appends this position's k, v to the cache. */
export function layerForward(x: Float32Array, lw: LayerWeightsF32, cache: KvCache, layer: number, pos: number, cfg: LlamaConfig, invFreq: Float32Array): void {
  const D = cfg.hiddenSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const n = new Float32Array(D);
  const q = new Float32Array(qDim);
  const k = new Float32Array(kvDim);
  const v = new Float32Array(kvDim);
  const att = new Float32Array(qDim);
  const tmp = new Float32Array(D);

  rmsnorm(n, x, lw.attnNorm, cfg.rmsNormEps);
  linear(q, n, lw.q);
  linear(k, n, lw.k);
  linear(v, n, lw.v);
  if (cfg.qkNormWhole) {
    // OLMoE: one RMSNorm over the whole projection, then the optional clamp of q, k and v.
    if (lw.qNorm) rmsnorm(q, q, lw.qNorm, cfg.rmsNormEps);
    if (lw.kNorm) rmsnorm(k, k, lw.kNorm, cfg.rmsNormEps);
    const c = cfg.clipQkv;
    if (c) for (const t of [q, k, v]) for (let i = 0; i < t.length; i++) t[i] = Math.min(c, Math.max(-c, t[i]));
  } else {
    if (lw.qNorm) for (let h = 0; h < cfg.numHeads; h++) rmsnormHead(q, h * cfg.headDim, lw.qNorm, cfg.rmsNormEps);
    if (lw.kNorm) for (let h = 0; h < cfg.numKvHeads; h++) rmsnormHead(k, h * cfg.headDim, lw.kNorm, cfg.rmsNormEps);
  }
  applyRope(q, cfg.numHeads, cfg.headDim, pos, invFreq, ropeAttentionFactor(cfg));
  applyRope(k, cfg.numKvHeads, cfg.headDim, pos, invFreq, ropeAttentionFactor(cfg));
  cache.keys[layer].set(k, pos * kvDim);
  cache.values[layer].set(v, pos * kvDim);
  attend(att, q, cache.keys[layer], cache.values[layer], pos, cfg);
  linear(tmp, att, lw.o);
  for (let i = 0; i < D; i++) x[i] += tmp[i];

  rmsnorm(n, x, lw.mlpNorm, cfg.rmsNormEps);
  const mlp = lw.moe ? moeMlp(n, lw.moe, cfg) : expertMlp(n, lw);
  for (let i = 0; i < D; i++) x[i] += mlp[i];
}

/** down(silu(gate x) ⊙ up x) for a dense MLP or one expert. */
export function expertMlp(x: Float32Array, e: ExpertF32): Float32Array {
  const I = e.gate.N;
  const g = new Float32Array(I);
  const u = new Float32Array(I);
  linear(g, x, e.gate);
  linear(u, x, e.up);
  for (let i = 0; i < I; i++) g[i] = silu(g[i]) * u[i];
  const out = new Float32Array(e.down.N);
  linear(out, g, e.down);
  return out;
}

/** A sparse layer's MLP on one (normalised) token: routing and combination as src/model/moe.ts states them. */
export function moeMlp(x: Float32Array, m: MoeLayerF32, cfg: LlamaConfig): Float32Array {
  const moe = cfg.moe!;
  const logits = new Float32Array(m.router.N);
  linear(logits, x, m.router);
  const route = routeTopK(logits, moe.topK, moe.normTopK);
  return moeCombine(x, route, (e, v) => expertMlp(v, m.experts[e]), m.shared ? { mlp: (v) => expertMlp(v, m.shared!.expert), gate: m.shared.gate } : undefined);
}

/** logits [V] = lmHead · rmsnorm_final(x). */
export function headForward(x: Float32Array, weights: LlamaWeightsF32, cfg: LlamaConfig): Float32Array {
  const n = new Float32Array(cfg.hiddenSize);
  rmsnorm(n, x, weights.finalNorm, cfg.rmsNormEps);
  const logits = new Float32Array(cfg.vocabSize);
  linear(logits, n, { w: weights.lmHead, N: cfg.vocabSize, K: cfg.hiddenSize });
  return logits;
}

async function loadLinear(ck: Checkpoint, prefix: string): Promise<LinearF32> {
  const g8 = await ck.gptq8(prefix);
  if (g8) return { w: dequantGptq8(g8), N: g8.N, K: g8.K, ...(g8.bias ? { bias: f16BitsArrayToF32(g8.bias) } : {}) };
  const g = await ck.gptq(prefix);
  if (g) return { w: dequantGptq(g), N: g.N, K: g.K, ...(g.bias ? { bias: f16BitsArrayToF32(g.bias) } : {}) };
  const name = `${prefix}.weight`;
  if (!ck.has(name)) throw new AppError('MALFORMED_WEIGHTS', `Neither ${prefix}.qweight nor ${name} is in the checkpoint.`);
  const [N, K] = ck.info(name).shape;
  const w = await ck.readF32(name);
  const bias = ck.has(`${prefix}.bias`) ? await ck.readF32(`${prefix}.bias`) : undefined;
  return { w, N, K, ...(bias ? { bias } : {}) };
}

/** HF tensor names of a sparse layer's router and experts (under model.layers.N). */
export function moeTensorNames(arch: LlamaConfig['architecture'], e: number): { router: string; gate: string; up: string; down: string } {
  if (arch === 'mixtral') return { router: 'block_sparse_moe.gate', gate: `block_sparse_moe.experts.${e}.w1`, up: `block_sparse_moe.experts.${e}.w3`, down: `block_sparse_moe.experts.${e}.w2` };
  return { router: 'mlp.gate', gate: `mlp.experts.${e}.gate_proj`, up: `mlp.experts.${e}.up_proj`, down: `mlp.experts.${e}.down_proj` };
}

async function loadMoeLayer(ck: Checkpoint, p: string, cfg: LlamaConfig): Promise<MoeLayerF32> {
  const moe = cfg.moe!;
  // Routers and gates are loaded by what exists (.weight dense, .qweight quantized), whatever the config lists.
  const router = await loadLinear(ck, `${p}.${moeTensorNames(cfg.architecture, 0).router}`);
  if (router.N !== moe.numExperts || router.K !== cfg.hiddenSize) {
    throw new AppError('MALFORMED_WEIGHTS', `${p} router is ${router.K}→${router.N} but the config has ${moe.numExperts} experts over hidden size ${cfg.hiddenSize}.`);
  }
  const experts: ExpertF32[] = [];
  for (let e = 0; e < moe.numExperts; e++) {
    const n = moeTensorNames(cfg.architecture, e);
    experts.push({ gate: await loadLinear(ck, `${p}.${n.gate}`), up: await loadLinear(ck, `${p}.${n.up}`), down: await loadLinear(ck, `${p}.${n.down}`) });
  }
  if (moe.sharedExpertIntermediateSize === 0) return { router, experts };
  const s = `${p}.mlp.shared_expert`;
  const expert = { gate: await loadLinear(ck, `${s}.gate_proj`), up: await loadLinear(ck, `${s}.up_proj`), down: await loadLinear(ck, `${s}.down_proj`) };
  const gate = await loadLinear(ck, `${p}.mlp.shared_expert_gate`);
  if (gate.N !== 1) throw new AppError('MALFORMED_WEIGHTS', `${p}.mlp.shared_expert_gate has ${gate.N} outputs; one (a scalar gate) is expected.`);
  return { router, experts, shared: { expert, gate: gate.w } };
}

/** Every weight of a checkpoint as fp32 (GPTQ layers dequantized). */
export async function loadWeightsF32(ck: Checkpoint): Promise<LlamaWeightsF32> {
  const cfg = ck.config;
  const embed = await ck.readF32('model.embed_tokens.weight');
  const layers: LayerWeightsF32[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const lin = {} as Record<LinearKey, LinearF32>;
    const sparse = cfg.moe?.sparse[l] ?? false;
    for (const [key, name] of LINEAR_NAMES) {
      lin[key] = sparse && (key === 'gate' || key === 'up' || key === 'down') ? NO_DENSE_MLP : await loadLinear(ck, `${p}.${name}`);
    }
    const moe = sparse ? { moe: await loadMoeLayer(ck, p, cfg) } : {};
    const qkNorm = cfg.qkNorm
      ? { qNorm: await ck.readF32(`${p}.${QK_NORM_NAMES.q}`), kNorm: await ck.readF32(`${p}.${QK_NORM_NAMES.k}`) }
      : {};
    layers.push({
      attnNorm: await ck.readF32(`${p}.input_layernorm.weight`),
      ...qkNorm,
      ...moe,
      mlpNorm: await ck.readF32(`${p}.post_attention_layernorm.weight`),
      ...lin,
    });
  }
  const finalNorm = await ck.readF32('model.norm.weight');
  let lmHead: Float32Array;
  if (ck.has('lm_head.weight')) lmHead = await ck.readF32('lm_head.weight');
  else if (ck.has('lm_head.qweight')) lmHead = (await loadLinear(ck, 'lm_head')).w;
  else if (cfg.tieWordEmbeddings) lmHead = embed;
  else throw new AppError('MALFORMED_WEIGHTS', 'lm_head.weight is missing and tie_word_embeddings is false.');
  return { embed, layers, finalNorm, lmHead };
}

export class ReferenceLlama {
  private cache: KvCache;
  private readonly invFreq: Float32Array;
  private nextPos = 0;

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeightsF32,
  ) {
    this.cache = new KvCache(config.numLayers, config.numKvHeads * config.headDim);
    this.invFreq = ropeInvFreq(config);
  }

  static async load(files: ModelFiles): Promise<ReferenceLlama> {
    const ck = await openCheckpoint(files);
    return new ReferenceLlama(ck.config, await loadWeightsF32(ck));
  }

  /** Logits [V] of the token after `token` at position `pos` (positions must be fed in order 0, 1, …). */
  forward(token: number, pos: number): Float32Array {
    const cfg = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= cfg.vocabSize) throw new AppError('BAD_ARGUMENT', `Token id ${token} is outside the vocabulary (0..${cfg.vocabSize - 1}).`);
    if (pos > this.nextPos) throw new AppError('BAD_ARGUMENT', `forward(pos=${pos}) skips positions; the cache holds ${this.nextPos}.`);
    this.cache.ensure(pos + 1);
    const D = cfg.hiddenSize;
    const x = this.weights.embed.slice(token * D, (token + 1) * D);
    for (let l = 0; l < cfg.numLayers; l++) layerForward(x, this.weights.layers[l], this.cache, l, pos, cfg, this.invFreq);
    this.nextPos = pos + 1;
    return headForward(x, this.weights, cfg);
  }

  /** Logits at every position of `tokens` (from a fresh cache). */
  logitsFor(tokens: number[]): Float32Array[] {
    this.reset();
    return tokens.map((t, i) => this.forward(t, i));
  }

  reset(): void {
    this.nextPos = 0;
  }
}
