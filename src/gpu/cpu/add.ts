/** CPU twin of shaders/add.wgsl: a[i] += b[i]. */
export function addCpu(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i] + b[i]);
}
