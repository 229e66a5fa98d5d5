/** CPU twin of shaders/rmsnorm.wgsl: y = x * inverseSqrt(mean(x^2) + eps) * w per row, in f32. */
export function rmsNormCpu(x: Float32Array, w: Float32Array, dim: number, eps: number): Float32Array {
  const f = Math.fround;
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s = f(s + f(x[r * dim + d] * x[r * dim + d]));
    const inv = f(1 / Math.sqrt(f(f(s / dim) + f(eps))));
    for (let d = 0; d < dim; d++) y[r * dim + d] = f(f(x[r * dim + d] * inv) * w[d]);
  }
  return y;
}
