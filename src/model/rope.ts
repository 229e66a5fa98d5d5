// RoPE inverse frequencies (HF "rotate_half" layout), with llama3 or linear rope scaling, computed in fp32.
import { AppError } from '../shared/errors';
import type { LlamaConfig } from './config';

function checkedFinite(inv: Float32Array): Float32Array {
  for (let i = 0; i < inv.length; i++) {
    if (!Number.isFinite(inv[i]) || inv[i] <= 0) {
      throw new AppError(
        'MALFORMED_CONFIG',
        `config.json: rope_theta / rope_scaling give an unusable RoPE frequency (${inv[i]} at index ${i}). Check those fields in the model's config.json.`,
      );
    }
  }
  return inv;
}

/** inv_freq[i] = θ^(−2i/d) for i < d/2, then llama3 or linear scaling when configured. Returns [headDim/2] fp32. */
export function ropeInvFreq(cfg: LlamaConfig): Float32Array {
  const half = cfg.headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
  const s = cfg.ropeScaling;
  if (!s) return checkedFinite(inv);
  if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = inv[i] / s.factor;
    return checkedFinite(inv);
  }
  if (!(s.highFreqFactor > s.lowFreqFactor)) {
    throw new AppError('MALFORMED_CONFIG', `config.json: rope_scaling.high_freq_factor (${s.highFreqFactor}) must be larger than low_freq_factor (${s.lowFreqFactor}). Check the model's config.json.`);
  }
  const lowWl = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWl = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const f = inv[i];
    const wl = (2 * Math.PI) / f;
    if (wl > lowWl) inv[i] = f / s.factor;
    else if (wl < highWl) inv[i] = f;
    else {
      const t = (s.originalMaxPositionEmbeddings / wl - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - t) * (f / s.factor) + t * f;
    }
  }
  return checkedFinite(inv);
}

/** Applies rotate_half RoPE in place to `vec` ([heads, headDim] fp32) at position `pos`. */
export function applyRope(vec: Float32Array, heads: number, headDim: number, pos: number, invFreq: Float32Array): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = Math.fround(pos * invFreq[i]);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    for (let h = 0; h < heads; h++) {
      const o = h * headDim;
      const a = vec[o + i];
      const b = vec[o + i + half];
      vec[o + i] = a * c - b * s;
      vec[o + i + half] = b * c + a * s;
    }
  }
}
