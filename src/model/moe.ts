// Mixture-of-experts routing, literally as Hugging Face's modeling code computes it (the CPU reference's
// rules; the GPU engine does not run MoE models yet):
//   Mixtral (MixtralSparseMoeBlock), Qwen2-MoE, Qwen3-MoE, OLMoE:
//     p = softmax(router · x) over ALL experts (f32);  (w, ids) = top-k of p;
//     if norm_topk_prob: w = w / Σ w   (Mixtral always renormalises; Qwen1.5-MoE and OLMoE do not: the chosen
//                                        experts keep their full-softmax probabilities)
//     y = Σ_j w_j · expert_ids[j](x),  expert(x) = down(silu(gate x) ⊙ up x)
//   Qwen2-MoE adds a shared expert: y += sigmoid(shared_expert_gate · x) · shared_expert(x).
//   Which layers are sparse (Qwen2/3-MoE): layer l is MoE iff l ∉ mlp_only_layers and num_experts > 0 and
//   (l + 1) % decoder_sparse_step == 0; the others use a dense MLP of intermediate_size.
import { AppError } from '../shared/errors';

export interface Routing {
  /** The chosen experts, best first (ties: the lower expert id first). */
  ids: number[];
  /** Their weights, in the order of ids. */
  weights: number[];
}

/** Softmax over all experts, then top-k, then (optionally) renormalised over the k chosen. */
export function routeTopK(routerLogits: ArrayLike<number>, topK: number, normTopK: boolean): Routing {
  const E = routerLogits.length;
  if (!(Number.isInteger(topK) && topK >= 1 && topK <= E)) {
    throw new AppError('MALFORMED_CONFIG', `num_experts_per_tok (${topK}) must be between 1 and the number of experts (${E}).`);
  }
  let max = -Infinity;
  for (let e = 0; e < E; e++) max = Math.max(max, routerLogits[e]);
  const p = new Float64Array(E);
  let sum = 0;
  for (let e = 0; e < E; e++) sum += p[e] = Math.exp(routerLogits[e] - max);
  for (let e = 0; e < E; e++) p[e] = Math.fround(p[e] / sum);
  const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => p[b] - p[a] || a - b);
  const ids = order.slice(0, topK);
  let weights = ids.map((e) => p[e]);
  if (normTopK) {
    const s = weights.reduce((a, b) => a + b, 0);
    weights = weights.map((w) => Math.fround(w / s));
  }
  return { ids, weights };
}

/** Which decoder layers are sparse (Qwen2-MoE / Qwen3-MoE rule; Mixtral and OLMoE: every layer). */
export function sparseLayers(numLayers: number, o: { numExperts: number; decoderSparseStep: number; mlpOnlyLayers: number[] }): boolean[] {
  return Array.from({ length: numLayers }, (_, l) => !o.mlpOnlyLayers.includes(l) && o.numExperts > 0 && (l + 1) % o.decoderSparseStep === 0);
}

export function sigmoid(a: number): number {
  return 1 / (1 + Math.exp(-a));
}

/**
 * One token through a sparse MLP: y = Σ_j w_j · expert_j(x) (+ sigmoid(g · x) · shared(x)). `expert(e, x)`
 * and `shared(x)` compute the experts' MLPs; `sharedGate` is the [D] row of shared_expert_gate.
 */
export function moeCombine(
  x: Float32Array,
  route: Routing,
  expert: (e: number, x: Float32Array) => Float32Array,
  shared?: { mlp: (x: Float32Array) => Float32Array; gate: Float32Array },
): Float32Array {
  const y = new Float32Array(x.length);
  route.ids.forEach((e, j) => {
    const out = expert(e, x);
    for (let i = 0; i < y.length; i++) y[i] += route.weights[j] * out[i];
  });
  if (shared) {
    let g = 0;
    for (let i = 0; i < x.length; i++) g += shared.gate[i] * x[i];
    const s = sigmoid(g);
    const out = shared.mlp(x);
    for (let i = 0; i < y.length; i++) y[i] += s * out[i];
  }
  return y;
}
