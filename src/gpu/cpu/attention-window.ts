import { attentionCpu } from './attention';

/**
 * CPU twin of the sliding-window attention (src/gpu/kernels/attention-window.ts): query row i at position
 * p = pos0 + i attends to positions lo = max(0, p − window + 1) ..= p. Written as the plain causal attention
 * of that row over the cache slice starting at lo.
 */
export function attentionWindowCpu(q: Float32Array, kCache: Float32Array, vCache: Float32Array, o: { nHeads: number; nKv: number; headDim: number; pos0: number; window: number }): Float32Array {
  const rowLen = o.nHeads * o.headDim, kvDim = o.nKv * o.headDim;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length / rowLen; i++) {
    const p = o.pos0 + i;
    const lo = Math.max(0, p - o.window + 1);
    const row = attentionCpu(q.subarray(i * rowLen, (i + 1) * rowLen), kCache.subarray(lo * kvDim), vCache.subarray(lo * kvDim), { ...o, pos0: p - lo });
    out.set(row, i * rowLen);
  }
  return out;
}
