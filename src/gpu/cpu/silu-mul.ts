/** CPU twin of shaders/silu-mul.wgsl: out[i] = gate[i] / (1 + exp(-gate[i])) * up[i], in f32. */
export function siluMulCpu(gate: Float32Array, up: Float32Array): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = f(f(gate[i] / f(1 + f(Math.exp(-gate[i])))) * up[i]);
  return out;
}
