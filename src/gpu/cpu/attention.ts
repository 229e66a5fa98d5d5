/**
 * CPU twin of shaders/attention.wgsl + attention-reduce.wgsl (the plain math, in f64 with an exact softmax):
 * q [M, nHeads, hd], caches [maxSeq, nKv, hd] (already rounded to f16 where the cache is f16);
 * query row i at position pos0 + i attends to 0..pos0+i; head h reads kv head h / (nHeads / nKv).
 */
export function attentionCpu(q: Float32Array, kCache: Float32Array, vCache: Float32Array, o: { nHeads: number; nKv: number; headDim: number; pos0: number; scale?: number }): Float32Array {
  const { nHeads, nKv, headDim: hd, pos0 } = o;
  const M = q.length / (nHeads * hd);
  const out = new Float32Array(q.length);
  const scale = o.scale ?? 1 / Math.sqrt(hd);
  const rep = nHeads / nKv;
  for (let i = 0; i < M; i++) {
    const L = pos0 + i + 1;
    for (let h = 0; h < nHeads; h++) {
      const kvh = Math.floor(h / rep);
      const qb = (i * nHeads + h) * hd;
      const scores = new Float64Array(L);
      let mx = -Infinity;
      for (let p = 0; p < L; p++) {
        let s = 0;
        for (let d = 0; d < hd; d++) s += q[qb + d] * kCache[(p * nKv + kvh) * hd + d];
        scores[p] = s * scale;
        mx = Math.max(mx, scores[p]);
      }
      let den = 0;
      for (let p = 0; p < L; p++) { scores[p] = Math.exp(scores[p] - mx); den += scores[p]; }
      for (let d = 0; d < hd; d++) {
        let num = 0;
        for (let p = 0; p < L; p++) num += scores[p] * vCache[(p * nKv + kvh) * hd + d];
        out[qb + d] = num / den;
      }
    }
  }
  return out;
}
