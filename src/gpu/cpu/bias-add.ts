/** CPU twin of shaders/bias-add.wgsl: y[r, n] += bias[n] for every row r of y [M, N], in f32. */
export function biasAddCpu(y: Float32Array, bias: Float32Array): Float32Array {
  const N = bias.length;
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = Math.fround(y[i] + bias[i % N]);
  return out;
}
