// CPU twin of shaders/moe-shared-gate.wgsl (Qwen2-MoE shared-expert gate).
/** CPU twin of shaders/moe-shared-gate.wgsl: h[t, i] *= sigmoid(g[t]). */
export function moeSharedGateCpu(h: Float32Array /* [M, f] */, g: Float32Array /* [M] */, f: number): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = Math.fround(h[i] / Math.fround(1 + Math.exp(-g[Math.floor(i / f)])));
  return out;
}
