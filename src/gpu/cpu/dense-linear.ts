/**
 * CPU twin of shaders/dense-matvec.wgsl and dense-matmul.wgsl: y[m, n] = sum_k x[m, k] W[n, k] (+ y when
 * accumulate), W [N, K] nn.Linear layout as f32 (f16 weights already widened). Sequential f32 sums.
 */
export function denseLinearCpu(x: Float32Array, W: Float32Array, K: number, N: number, y?: Float32Array): Float32Array {
  const f = Math.fround;
  const M = x.length / K;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc = f(acc + f(x[m * K + k] * W[n * K + k]));
      out[m * N + n] = y ? f(y[m * N + n] + acc) : acc;
    }
  }
  return out;
}
