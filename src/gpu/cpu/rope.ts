/** CPU twin of shaders/rope.wgsl (HF rotate_half), in place on x [M, nHeads, headDim]; row i at position pos0 + i. */
export function ropeCpu(x: Float32Array, invFreq: Float32Array, nHeads: number, headDim: number, pos0: number): void {
  const f = Math.fround;
  const half = headDim / 2;
  const M = x.length / (nHeads * headDim);
  for (let row = 0; row < M; row++) {
    for (let j = 0; j < half; j++) {
      const a = f((pos0 + row) * invFreq[j]); // the f32 angle, as HF computes it
      const c = Math.cos(a), s = Math.sin(a);
      for (let h = 0; h < nHeads; h++) {
        const b = (row * nHeads + h) * headDim;
        const x0 = x[b + j], x1 = x[b + j + half];
        x[b + j] = f(x0 * c - x1 * s);
        x[b + j + half] = f(x1 * c + x0 * s);
      }
    }
  }
}

/** inv_freq[i] = theta^(-2i/d), with optional llama3 scaling (SPEC-llama-gptq.md), as f32. */
export function ropeInvFreq(headDim: number, theta: number, llama3?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }): Float32Array {
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) {
    let inv = 1 / theta ** ((2 * i) / headDim);
    if (llama3) {
      const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: orig } = llama3;
      const wl = (2 * Math.PI) / inv;
      const lowWl = orig / lowFreqFactor, highWl = orig / highFreqFactor;
      if (wl > lowWl) inv = inv / factor;
      else if (wl >= highWl) {
        const s = (orig / wl - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inv = (1 - s) * (inv / factor) + s * inv;
      }
    }
    out[i] = inv;
  }
  return out;
}
