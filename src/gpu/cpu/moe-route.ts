// CPU twin of shaders/moe-route.wgsl: per token, softmax over all experts, top-k (ties: lower id), optional
// renormalisation; route [M, k, 2] with (id, f32 weight bits). The rule itself is src/model/moe.ts routeTopK.
import { routeTopK } from '../../model/moe';

export function moeRouteCpu(logits: Float32Array /* [M, E] */, m: number, nExperts: number, topK: number, normTopK: boolean): Uint32Array /* [M, topK, 2] */ {
  const out = new Uint32Array(m * topK * 2);
  const f = new Float32Array(out.buffer);
  for (let t = 0; t < m; t++) {
    const r = routeTopK(logits.subarray(t * nExperts, (t + 1) * nExperts), topK, normTopK);
    for (let j = 0; j < topK; j++) {
      out[(t * topK + j) * 2] = r.ids[j];
      f[(t * topK + j) * 2 + 1] = r.weights[j];
    }
  }
  return out;
}
