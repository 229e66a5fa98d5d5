/** CPU twin of shaders/embedding.wgsl: out[i, :] = table[ids[i], :] (table [rows, dim] as f32). */
export function embeddingCpu(ids: ArrayLike<number>, table: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * dim, (ids[i] + 1) * dim), i * dim);
  return out;
}
