// RoPE inverse frequencies (HF "rotate_half" layout), with llama3, linear or YaRN rope scaling, computed in fp32,
// and YaRN's cos/sin magnitude (ropeAttentionFactor).
import { AppError } from '../shared/errors';
import type { LlamaConfig, YarnRopeScaling } from './config';

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

/** The dimension (of d) at which a frequency turns `rotations` times within `context` positions (YaRN). */
function yarnCorrectionDim(rotations: number, dim: number, base: number, context: number): number {
  return (dim * Math.log(context / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
}

/**
 * YaRN: frequency i keeps its original value below the ramp (fast: beta_fast or more rotations within the
 * original context), is divided by factor above it (slow: beta_slow or fewer), and blends linearly between.
 */
function yarnInvFreq(inv: Float32Array, dim: number, base: number, s: YarnRopeScaling): void {
  let low = yarnCorrectionDim(s.betaFast, dim, base, s.originalMaxPositionEmbeddings);
  let high = yarnCorrectionDim(s.betaSlow, dim, base, s.originalMaxPositionEmbeddings);
  if (s.truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (high === low) high += 0.001;
  for (let i = 0; i < inv.length; i++) {
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1); // 0: keep, 1: interpolate
    inv[i] = (inv[i] / s.factor) * ramp + inv[i] * (1 - ramp);
  }
}

/** The factor cos and sin are multiplied by (YaRN's attention factor; 1 for every other RoPE). */
export function ropeAttentionFactor(cfg: LlamaConfig): number {
  return cfg.ropeScaling?.type === 'yarn' ? cfg.ropeScaling.attentionFactor : 1;
}

/**
 * The attention logit scale: 1/√headDim, times the square of the RoPE attention factor, since q and k are both
 * rotated with cos and sin multiplied by it (the GPU kernels fold it in here instead of into the rotation).
 */
export function attentionLogitScale(cfg: LlamaConfig): number {
  const m = ropeAttentionFactor(cfg);
  return (m * m) / Math.sqrt(cfg.headDim);
}

/** inv_freq[i] = θ^(−2i/d) for i < d/2, then llama3, linear or YaRN scaling when configured. Returns [headDim/2] fp32. */
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
  if (s.type === 'yarn') {
    yarnInvFreq(inv, cfg.headDim, cfg.ropeTheta, s);
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

/**
 * Applies rotate_half RoPE in place to `vec` ([heads, headDim] fp32) at position `pos`, with cos and sin
 * multiplied by `magnitude` (ropeAttentionFactor; 1 but for YaRN).
 */
export function applyRope(vec: Float32Array, heads: number, headDim: number, pos: number, invFreq: Float32Array, magnitude = 1): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = Math.fround(pos * invFreq[i]);
    const c = Math.cos(angle) * magnitude;
    const s = Math.sin(angle) * magnitude;
    for (let h = 0; h < heads; h++) {
      const o = h * headDim;
      const a = vec[o + i];
      const b = vec[o + i + half];
      vec[o + i] = a * c - b * s;
      vec[o + i + half] = b * c + a * s;
    }
  }
}
