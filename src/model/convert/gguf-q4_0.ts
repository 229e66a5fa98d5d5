// GPTQ 4-bit linears as llama.cpp's Q4_0 (ggml block_q4_0): per row, blocks of 32 weights along K, each an f16
// scale d followed by 16 bytes of nibbles; byte j holds element j in its low nibble and element j + 16 in its
// high nibble; w = d · (q − 8). GPTQ with group 32, symmetric zero 8 and no act-order permutation is exactly
// this (the same f16 scale, the same 4-bit codes): those layers are copied bit for bit. Any other layout (other
// group sizes, other zeros, act-order) is dequantised and requantised with llama.cpp's reference Q4_0 rule
// (d = the signed value of largest magnitude / −8, q = min(15, trunc(x / d + 8.5))), which changes the weights.
import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';
import type { PackedGptq } from '../../gpu/gptq-repack';

export const Q4_0_BLOCK = 32;
export const Q4_0_BLOCK_BYTES = 18;

export interface Q4_0Tensor {
  /** Row-major [N rows, K/32 blocks] of 18-byte blocks (GGUF dims [K, N]). */
  bytes: Uint8Array;
  /** True when the bytes encode exactly the GPTQ weights; false when they were requantised. */
  exact: boolean;
  /** Why requantisation was needed (absent when exact). */
  reason?: string;
}

/** Why `p` cannot be copied into Q4_0 bit for bit ('; '-separated), or null when it can. */
export function q4_0Mismatch(p: PackedGptq): string | null {
  if (p.K % Q4_0_BLOCK !== 0) return `K=${p.K} is not a multiple of 32`;
  const why: string[] = [];
  if (p.groupSize !== Q4_0_BLOCK) why.push(`group size ${p.groupSize}, not 32`);
  if (p.perm) why.push('act-order (permuted columns)');
  const z = p.sz.find((v) => v >>> 16 !== 8);
  if (z !== undefined) why.push(`zero point ${z >>> 16}, not 8 (asymmetric)`);
  return why.length ? why.join('; ') : null;
}

/** `p` as Q4_0: exact when q4_0Mismatch(p) is null, else requantised from its dequantised weights. */
export function gptqToQ4_0(p: PackedGptq): Q4_0Tensor {
  const reason = q4_0Mismatch(p);
  if (reason === null) return { bytes: copyExact(p), exact: true };
  if (p.K % Q4_0_BLOCK !== 0) throw new Error(`gptqToQ4_0: ${reason}; Q4_0 needs whole blocks of 32.`);
  return { bytes: quantizeQ4_0(dequantPacked(p), p.N, p.K), exact: false, reason };
}

function copyExact(p: PackedGptq): Uint8Array {
  const { K, N } = p;
  const blocks = K / Q4_0_BLOCK;
  const out = new Uint8Array(N * blocks * Q4_0_BLOCK_BYTES);
  const W8 = K / 8;
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const o = (n * blocks + b) * Q4_0_BLOCK_BYTES;
      const d = p.sz[n * p.nGroups + b] & 0xffff;
      out[o] = d & 0xff;
      out[o + 1] = d >>> 8;
      // GPTQ: nibble j of word w is element 8w + j. Four words per block: elements 0..15 in words 0-1, 16..31 in 2-3.
      const w0 = n * W8 + b * 4;
      for (let j = 0; j < 16; j++) {
        const lo = (p.words[w0 + (j >> 3)] >>> (4 * (j & 7))) & 15;
        const hi = (p.words[w0 + 2 + (j >> 3)] >>> (4 * (j & 7))) & 15;
        out[o + 2 + j] = lo | (hi << 4);
      }
    }
  }
  return out;
}

/** W [N, K] of a packed GPTQ layer (packed position p is column perm[p]). */
export function dequantPacked(p: PackedGptq): Float32Array {
  const { K, N } = p;
  const W = new Float32Array(N * K);
  const W8 = K / 8;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const sz = p.sz[n * p.nGroups + Math.floor(k / p.groupSize)];
      const q = (p.words[n * W8 + (k >> 3)] >>> (4 * (k & 7))) & 15;
      W[n * K + (p.perm ? p.perm[k] : k)] = f16BitsToF32(sz & 0xffff) * (q - (sz >>> 16));
    }
  }
  return W;
}

/** llama.cpp's reference Q4_0 quantisation of W [N, K] (K a multiple of 32). */
export function quantizeQ4_0(W: Float32Array, N: number, K: number): Uint8Array {
  const blocks = K / Q4_0_BLOCK;
  const out = new Uint8Array(N * blocks * Q4_0_BLOCK_BYTES);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const x0 = n * K + b * Q4_0_BLOCK;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < Q4_0_BLOCK; j++) {
        const v = W[x0 + j];
        if (Math.abs(v) > amax) amax = Math.abs(v), max = v;
      }
      const d = max / -8;
      const id = d ? 1 / d : 0;
      const bits = f32ToF16Bits(d);
      const o = (n * blocks + b) * Q4_0_BLOCK_BYTES;
      out[o] = bits & 0xff;
      out[o + 1] = bits >>> 8;
      const q = (v: number) => Math.min(15, Math.trunc(v * id + 8.5));
      for (let j = 0; j < 16; j++) out[o + 2 + j] = q(W[x0 + j]) | (q(W[x0 + 16 + j]) << 4);
    }
  }
  return out;
}

/** W [N, K] from Q4_0 bytes (the inverse of the layout above; for tests). */
export function dequantQ4_0(bytes: Uint8Array, N: number, K: number): Float32Array {
  const blocks = K / Q4_0_BLOCK;
  const W = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const o = (n * blocks + b) * Q4_0_BLOCK_BYTES;
      const d = f16BitsToF32(bytes[o] | (bytes[o + 1] << 8));
      for (let j = 0; j < 16; j++) {
        W[n * K + b * 32 + j] = d * ((bytes[o + 2 + j] & 15) - 8);
        W[n * K + b * 32 + 16 + j] = d * ((bytes[o + 2 + j] >>> 4) - 8);
      }
    }
  }
  return W;
}

/** Rows of a Q4_0 tensor [N, K] reordered: out row r = in row from(r). */
export function permuteQ4_0Rows(bytes: Uint8Array, N: number, K: number, from: (r: number) => number): Uint8Array {
  const rowBytes = (K / Q4_0_BLOCK) * Q4_0_BLOCK_BYTES;
  const out = new Uint8Array(bytes.length);
  for (let r = 0; r < N; r++) out.set(bytes.subarray(from(r) * rowBytes, (from(r) + 1) * rowBytes), r * rowBytes);
  return out;
}
