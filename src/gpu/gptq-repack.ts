// GPTQ 4-bit layers repacked ONCE at load into the layout the WGSL kernels read best, and uploaded.
//   words [N, K/8] u32: row n is contiguous; nibble j of word w = q(perm[8w + j], n)
//   sz    [N, nGroups] u32: bits 0..15 = f16 scale, bits 16..23 = true zero point (v1 files: stored + 1)
//   perm  [K] u32: the x index of packed position p (act-order), or null when it is the identity
// Act-order (desc_act, non-monotonic g_idx): positions are sorted stably by g_idx so each group is a contiguous
// run of groupSize packed positions; packed position p then belongs to group floor(p / groupSize).
// The math (SPEC-llama-gptq.md): W[n,k] = scale[g][n] (q(k,n) - z(g,n)), y[n] = sum_k x[k] W[n,k] + bias[n].
import { AppError } from '../shared/errors';
import { f16BitsArrayToF32, f16BitsToF32, f32ToF16Bits } from '../shared/f16';
import { createBuffer, STORAGE, uploadBuffer, type GpuContext } from './context';
import { rowsPerChunk } from './dense-weight';

export interface GptqSource {
  qweight: Int32Array /* [K/8, N] */;
  qzeros: Int32Array /* [nG, N/8] */;
  scales: Uint16Array /* f16 bits [nG, N] */;
  gIdx?: Int32Array /* [K] */;
  /** f32 [N], or f16 bits [N] as stored in the file (GptqTensors from src/model/gptq-pack.ts). */
  bias?: Float32Array | Uint16Array;
  K: number;
  N: number;
  groupSize: number /* -1 = K */;
  format: 'v1' | 'v2';
}

export interface PackedGptq {
  K: number;
  N: number;
  /** Effective group size (K when the file says -1). */
  groupSize: number;
  nGroups: number;
  words: Uint32Array /* [N, K/8] */;
  sz: Uint32Array /* [N, nGroups] */;
  perm: Uint32Array | null /* [K] */;
  bias: Float32Array | null /* [N] */;
}

/**
 * One row chunk on the GPU. words keep PackedGptq's row-major order, each row padded with zero words to
 * rowWords = ceil(K / 32) * 4 (a whole number of vec4<u32>, 32 positions each; a zero nibble adds 0 * x):
 * one thread walks a row contiguously (rows-per-thread kernels, the pattern CPU drivers stream best) and a
 * workgroup reads a row as consecutive vec4s (split-K kernels, coalesced on GPUs). sz is transposed so that
 * threads of adjacent rows read adjacent words.
 */
export interface GpuGptqChunk {
  words: GPUBuffer /* u32 [rows, rowWords]: words[r * rowWords + w] = PackedGptq.words[(rowStart + r) * K/8 + w], 0 for w >= K/8 */;
  sz: GPUBuffer /* u32 [nGroups, rows]: sz[g * rows + r] = PackedGptq.sz[(rowStart + r) * nGroups + g] */;
  rowStart: number;
  rows: number;
}

export interface GpuGptq {
  K: number;
  /** u32 words per row of a chunk's `words` (K/8 rounded up to a multiple of 4). */
  rowWords: number;
  N: number;
  groupSize: number;
  nGroups: number;
  /** Output rows split so that no binding exceeds the adapter's limit (one dispatch per chunk). */
  chunks: GpuGptqChunk[];
  perm: GPUBuffer | null /* u32 [K] */;
  bias: GPUBuffer | null /* f32 [N] */;
}

function unsupported(msg: string): AppError {
  return new AppError('UNSUPPORTED_QUANTIZATION', msg);
}

function checkSource(t: GptqSource): { G: number; nG: number } {
  const { K, N } = t;
  if (!(K > 0 && N > 0 && K % 8 === 0 && N % 8 === 0)) throw unsupported(`GPTQ 4-bit layers need in/out features that are multiples of 8 (got K=${K}, N=${N}).`);
  const G = t.groupSize === -1 ? K : t.groupSize;
  if (!(Number.isInteger(G) && G > 0 && G % 8 === 0)) throw unsupported(`GPTQ group_size ${t.groupSize} is not supported (it must be -1 or a positive multiple of 8).`);
  const nG = Math.ceil(K / G);
  const bad = (what: string, got: number, want: number) => new AppError('MALFORMED_WEIGHTS', `GPTQ tensor ${what} has ${got} values, expected ${want} (K=${K}, N=${N}, group_size=${t.groupSize}).`);
  if (t.qweight.length !== (K / 8) * N) throw bad('qweight', t.qweight.length, (K / 8) * N);
  if (t.qzeros.length !== nG * (N / 8)) throw bad('qzeros', t.qzeros.length, nG * (N / 8));
  if (t.scales.length !== nG * N) throw bad('scales', t.scales.length, nG * N);
  if (t.gIdx && t.gIdx.length !== K) throw bad('g_idx', t.gIdx.length, K);
  if (t.bias && t.bias.length !== N) throw bad('bias', t.bias.length, N);
  return { G, nG };
}

/** The act-order permutation (x index of each packed position), or null when it is the identity. */
function groupPermutation(gIdx: Int32Array | undefined, K: number, G: number, nG: number): Uint32Array | null {
  if (!gIdx) return null;
  for (let k = 0; k < K; k++) {
    if (!(gIdx[k] >= 0 && gIdx[k] < nG)) throw new AppError('MALFORMED_WEIGHTS', `GPTQ g_idx[${k}] = ${gIdx[k]} is outside 0..${nG - 1}.`);
  }
  // Stable counting sort by group.
  const counts = new Uint32Array(nG + 1);
  for (let k = 0; k < K; k++) counts[gIdx[k] + 1]++;
  for (let g = 0; g < nG; g++) counts[g + 1] += counts[g];
  const perm = new Uint32Array(K);
  for (let k = 0; k < K; k++) perm[counts[gIdx[k]]++] = k;
  let identity = true;
  for (let p = 0; p < K; p++) {
    if (gIdx[perm[p]] !== Math.floor(p / G)) {
      throw unsupported(`This GPTQ layer's g_idx does not form groups of ${G} inputs (group ${gIdx[perm[p]]} at sorted position ${p}); only AutoGPTQ/GPTQModel-style act-order is supported.`);
    }
    if (perm[p] !== p) identity = false;
  }
  return identity ? null : perm;
}

function biasToF32(b: Float32Array | Uint16Array): Float32Array {
  return b instanceof Uint16Array ? f16BitsArrayToF32(b) : Float32Array.from(b);
}

export function repackGptq(t: GptqSource): PackedGptq {
  const { K, N } = t;
  const { G, nG } = checkSource(t);
  const perm = groupPermutation(t.gIdx, K, G, nG);
  const W8 = K / 8;
  const words = new Uint32Array(N * W8);
  const qw = new Uint32Array(t.qweight.buffer, t.qweight.byteOffset, t.qweight.length);
  if (!perm) {
    // Transpose [K/8, N] → [N, K/8]; the nibble order within a word is unchanged.
    for (let w = 0; w < W8; w++) {
      const src = w * N;
      for (let n = 0; n < N; n++) words[n * W8 + w] = qw[src + n];
    }
  } else {
    for (let w = 0; w < W8; w++) {
      for (let j = 0; j < 8; j++) {
        const k = perm[8 * w + j];
        const src = (k >> 3) * N;
        const shiftIn = 4 * (k & 7);
        const shiftOut = 4 * j;
        for (let n = 0; n < N; n++) words[n * W8 + w] |= ((qw[src + n] >>> shiftIn) & 15) << shiftOut;
      }
    }
  }
  const offset = t.format === 'v1' ? 1 : 0;
  const sz = new Uint32Array(N * nG);
  for (let g = 0; g < nG; g++) {
    for (let n = 0; n < N; n++) {
      const zero = ((t.qzeros[g * (N / 8) + (n >> 3)] >>> (4 * (n & 7))) & 15) + offset;
      sz[n * nG + g] = t.scales[g * N + n] | (zero << 16);
    }
  }
  return { K, N, groupSize: G, nGroups: nG, words, sz, perm, bias: t.bias ? biasToF32(t.bias) : null };
}

/**
 * Layers that read the same input stacked along their output rows, in order (q | k | v, gate | up): ONE linear
 * whose output row n is row n - rowStart(part) of its part, so one matvec/matmul replaces several. The rows are
 * row-major in PackedGptq, so this is a concatenation of words, sz and biases (zeros for a part without one).
 * Null when the parts cannot share a prepared input: different K, group size or act-order permutation.
 */
export function concatPackedGptq(parts: PackedGptq[]): PackedGptq | null {
  const first = parts[0];
  if (!first) return null;
  const samePerm = (a: Uint32Array | null, b: Uint32Array | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]));
  if (!parts.every((p) => p.K === first.K && p.groupSize === first.groupSize && p.nGroups === first.nGroups && samePerm(p.perm, first.perm))) return null;
  const N = parts.reduce((s, p) => s + p.N, 0);
  const words = new Uint32Array(parts.reduce((s, p) => s + p.words.length, 0));
  const sz = new Uint32Array(parts.reduce((s, p) => s + p.sz.length, 0));
  const bias = parts.some((p) => p.bias) ? new Float32Array(N) : null;
  let w = 0, z = 0, n = 0;
  for (const p of parts) {
    words.set(p.words, w); w += p.words.length;
    sz.set(p.sz, z); z += p.sz.length;
    if (bias && p.bias) bias.set(p.bias, n);
    n += p.N;
  }
  return { K: first.K, N, groupSize: first.groupSize, nGroups: first.nGroups, words, sz, perm: first.perm, bias };
}

/** W [N, K] (nn.Linear layout) straight from the ORIGINAL tensors: the independent reference for tests. */
export function gptqDequantCpu(t: GptqSource): Float32Array {
  const { K, N } = t;
  const G = t.groupSize === -1 ? K : t.groupSize;
  const offset = t.format === 'v1' ? 1 : 0;
  const W = new Float32Array(N * K);
  for (let k = 0; k < K; k++) {
    const g = t.gIdx ? t.gIdx[k] : Math.floor(k / G);
    for (let n = 0; n < N; n++) {
      const q = (t.qweight[(k >> 3) * N + n] >>> (4 * (k & 7))) & 15;
      const z = ((t.qzeros[g * (N / 8) + (n >> 3)] >>> (4 * (n & 7))) & 15) + offset;
      W[n * K + k] = f16BitsToF32(t.scales[g * N + n]) * (q - z);
    }
  }
  return W;
}

/** Words per GPU row: K/8 rounded up to whole vec4<u32>. */
export function gptqRowWords(K: number): number {
  return Math.ceil(K / 32) * 4;
}

/** Rows [r0, r0 + rows) of a row-major [*, cols] matrix, each padded with zeros to `stride` words. */
function padRows(src: Uint32Array, r0: number, rows: number, cols: number, stride: number): Uint32Array {
  if (stride === cols) return src.slice(r0 * cols, (r0 + rows) * cols);
  const out = new Uint32Array(rows * stride);
  for (let r = 0; r < rows; r++) out.set(src.subarray((r0 + r) * cols, (r0 + r + 1) * cols), r * stride);
  return out;
}

/** Rows [r0, r0 + rows) of a row-major [*, cols] matrix, transposed to [cols, rows]. */
function transposeRows(src: Uint32Array, r0: number, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = (r0 + r) * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[s + c];
  }
  return out;
}

export function uploadGptq(ctx: GpuContext, packed: PackedGptq, opts: { maxChunkBytes?: number; label?: string } = {}): GpuGptq {
  const { K, N, nGroups } = packed;
  const label = opts.label ?? 'gptq';
  const W8 = K / 8;
  const rowWords = gptqRowWords(K);
  const perChunk = rowsPerChunk(ctx, Math.max(rowWords * 4, nGroups * 4), opts.maxChunkBytes, `${label} (GPTQ)`);
  const chunks: GpuGptqChunk[] = [];
  for (let r0 = 0; r0 < N; r0 += perChunk) {
    const rows = Math.min(perChunk, N - r0);
    const words = uploadBuffer(ctx, padRows(packed.words, r0, rows, W8, rowWords), `${label}.words[${r0}]`);
    const sz = uploadBuffer(ctx, transposeRows(packed.sz, r0, rows, nGroups), `${label}.sz[${r0}]`);
    chunks.push({ words, sz, rowStart: r0, rows });
  }
  const perm = packed.perm ? uploadBuffer(ctx, packed.perm, `${label}.perm`) : null;
  const bias = packed.bias ? uploadBuffer(ctx, packed.bias, `${label}.bias`) : null;
  return { K, rowWords, N, groupSize: packed.groupSize, nGroups, chunks, perm, bias };
}

export function destroyGptq(g: GpuGptq): void {
  for (const c of g.chunks) { c.words.destroy(); c.sz.destroy(); }
  g.perm?.destroy();
  g.bias?.destroy();
}

/** A 16-byte placeholder bound where a kernel's optional input (perm, bias) is absent. */
export function placeholderBuffer(ctx: GpuContext): GPUBuffer {
  return createBuffer(ctx, 16, STORAGE, 'placeholder');
}

// ---- GPTQ 8-bit as the sum of two 4-bit layers ----
// An 8-bit value q = 16·qh + ql and its zero z = 16·zh + zl (zh ≤ 16 with v1's +1) give, exactly,
//   scale · (q − z) = (16·scale) · (qh − zh) + scale · (ql − zl)
// so an 8-bit layer is the "hi" 4-bit layer (scale ×16, exact in f16) plus the "lo" 4-bit layer, both in the
// repacked layout above (the zero field holds 8 bits) and run by the same 4-bit kernels: y = hi·x + lo·x (+ bias,
// carried by hi). The two halves read as many bytes as one 8-bit layer would.

export interface Gptq8Source {
  qweight: Int32Array /* [K/4, N]: byte k & 3 of word [k >> 2][n] = q(k, n) */;
  qzeros: Int32Array /* [nG, N/4]: byte n & 3 of word [g][n >> 2] = stored zero */;
  scales: Uint16Array /* f16 bits [nG, N] */;
  gIdx?: Int32Array /* [K] */;
  bias?: Float32Array | Uint16Array /* [N] */;
  K: number;
  N: number;
  groupSize: number /* -1 = K */;
  format: 'v1' | 'v2';
}

export function repackGptq8Split(t: Gptq8Source): { hi: PackedGptq; lo: PackedGptq } {
  const { K, N } = t;
  if (!(K > 0 && N > 0 && K % 8 === 0 && N % 8 === 0)) throw unsupported(`GPTQ 8-bit layers need in/out features that are multiples of 8 (got K=${K}, N=${N}).`);
  const G = t.groupSize === -1 ? K : t.groupSize;
  if (!(Number.isInteger(G) && G > 0 && G % 8 === 0)) throw unsupported(`GPTQ group_size ${t.groupSize} is not supported (it must be -1 or a positive multiple of 8).`);
  const nG = Math.ceil(K / G);
  const bad = (what: string, got: number, want: number) => new AppError('MALFORMED_WEIGHTS', `GPTQ 8-bit tensor ${what} has ${got} values, expected ${want} (K=${K}, N=${N}, group_size=${t.groupSize}).`);
  if (t.qweight.length !== (K / 4) * N) throw bad('qweight', t.qweight.length, (K / 4) * N);
  if (t.qzeros.length !== nG * (N / 4)) throw bad('qzeros', t.qzeros.length, nG * (N / 4));
  if (t.scales.length !== nG * N) throw bad('scales', t.scales.length, nG * N);
  if (t.gIdx && t.gIdx.length !== K) throw bad('g_idx', t.gIdx.length, K);
  if (t.bias && t.bias.length !== N) throw bad('bias', t.bias.length, N);
  const perm = groupPermutation(t.gIdx, K, G, nG);
  const W8 = K / 8;
  const hiWords = new Uint32Array(N * W8), loWords = new Uint32Array(N * W8);
  const qw = new Uint32Array(t.qweight.buffer, t.qweight.byteOffset, t.qweight.length);
  for (let p = 0; p < K; p++) {
    const k = perm ? perm[p] : p;
    const src = (k >> 2) * N, shiftIn = 8 * (k & 3), shiftOut = 4 * (p & 7), w = p >> 3;
    for (let n = 0; n < N; n++) {
      const q = (qw[src + n] >>> shiftIn) & 255;
      hiWords[n * W8 + w] |= (q >>> 4) << shiftOut;
      loWords[n * W8 + w] |= (q & 15) << shiftOut;
    }
  }
  const offset = t.format === 'v1' ? 1 : 0;
  const hiSz = new Uint32Array(N * nG), loSz = new Uint32Array(N * nG);
  for (let g = 0; g < nG; g++) {
    for (let n = 0; n < N; n++) {
      const z = ((t.qzeros[g * (N / 4) + (n >> 2)] >>> (8 * (n & 3))) & 255) + offset;
      const s = t.scales[g * N + n];
      const s16 = f32ToF16Bits(16 * f16BitsToF32(s));
      if (f16BitsToF32(s16) !== 16 * f16BitsToF32(s)) {
        throw unsupported(`GPTQ 8-bit scale ${f16BitsToF32(s)} (group ${g}, output ${n}) is too large to split into 4-bit halves (16 × scale overflows f16).`);
      }
      hiSz[n * nG + g] = s16 | ((z >>> 4) << 16);
      loSz[n * nG + g] = s | ((z & 15) << 16);
    }
  }
  const common = { K, N, groupSize: G, nGroups: nG, perm };
  return {
    hi: { ...common, words: hiWords, sz: hiSz, bias: t.bias ? biasToF32(t.bias) : null },
    lo: { ...common, words: loWords, sz: loSz, bias: null },
  };
}
