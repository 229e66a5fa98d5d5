// llama2.c checkpoint (e.g. stories260K.bin) → fp32 weights in Hugging Face layout.
// Header: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len); vocab_size > 0 means the
// classifier shares the token embedding (negative: a separate wcls follows the legacy freq_cis tables).
// Weights use the interleaved RoPE layout; wq/wk rows are permuted per head into HF's rotate_half order:
// HF row h*(d/2)+i <- original row 2i+h (h ∈ {0,1}).
import { AppError } from '../../shared/errors';
import { foreignFileMessage } from './file-kind';
import type { LayerWeightsF32, LinearF32, LlamaWeightsF32 } from '../reference';

/** uint32 at the start of a llama2.c export.py --version 1/2 file: "ak42" read little-endian. */
export const LLAMA2C_MAGIC = 0x616b3432;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cModel {
  header: Llama2cHeader;
  /** HF layout, fp32; lmHead === embed when the classifier is shared. */
  weights: LlamaWeightsF32;
}

/** Rows of a [heads*headDim, cols] projection from interleaved-RoPE order to rotate_half order. */
export function permuteInterleavedToHalf(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = h * headDim + 2 * i + j;
        const dst = h * headDim + j * half + i;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

export function readLlama2cCheckpoint(bytes: Uint8Array): Llama2cModel {
  const foreign = foreignFileMessage(bytes, 'model');
  if (foreign) throw new AppError('MALFORMED_WEIGHTS', foreign);
  if (bytes.byteLength < 28) throw new AppError('MALFORMED_WEIGHTS', 'The llama2.c checkpoint is shorter than its 28-byte header.');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // llama2.c's export.py --version 1 (fp32) / --version 2 (int8 Q8_0) write uint32 0x616b3432 ("ak42"), a version
  // and a 256-byte header; only the legacy layout (export.py --version 0, as run.c reads) is read here.
  if (dv.getUint32(0, true) === LLAMA2C_MAGIC) {
    const version = dv.getInt32(4, true);
    throw new AppError(
      'MALFORMED_WEIGHTS',
      `This is a llama2.c version-${version} export (export.py --version ${version}${version === 2 ? ', int8 quantised' : version === 1 ? ', fp32 with the newer header' : ''}); this converter reads only the legacy llama2.c format (version 0, what run.c reads). Re-export the checkpoint with llama2.c's export.py --version 0 (e.g. python export.py model.bin --version 0 --checkpoint ckpt.pt) and pass that .bin as --model.`,
      { version },
    );
  }
  const h = Array.from({ length: 7 }, (_, i) => dv.getInt32(i * 4, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabRaw, seqLen] = h;
  const header: Llama2cHeader = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocabRaw), seqLen, sharedClassifier: vocabRaw > 0 };
  if ([dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen].some((x) => x <= 0) || dim % nHeads !== 0 || nHeads % nKvHeads !== 0 || header.vocabSize === 0) {
    throw new AppError('MALFORMED_WEIGHTS', `This is not a llama2.c checkpoint (header ${JSON.stringify(h)}). Pass the llama2.c .bin checkpoint (e.g. stories260K.bin, written by llama2.c's export) as --model.`);
  }
  const headDim = dim / nHeads;
  // RoPE rotates pairs of a head's values (llama2.c's run.c too): an odd head size has no such model.
  if (headDim % 2 !== 0) {
    throw new AppError(
      'UNSUPPORTED_MODEL',
      `This llama2.c checkpoint has a head size of ${headDim} (dim ${dim} / n_heads ${nHeads}); rotary position embeddings need an even head size, so it cannot be converted. Pass a checkpoint whose dim / n_heads is even (e.g. stories260K.bin, dim 64 / 8 heads).`,
      { dim, nHeads, headDim },
    );
  }
  const kvDim = nKvHeads * headDim;
  const V = header.vocabSize;
  const L = nLayers;
  const floatsNeeded =
    V * dim + L * dim * 2 + L * dim * dim * 2 + L * kvDim * dim * 2 + L * hiddenDim * dim * 3 + dim + seqLen * headDim + (header.sharedClassifier ? 0 : V * dim);
  if (bytes.byteLength < 28 + floatsNeeded * 4) {
    throw new AppError('TRUNCATED_FILE', `The llama2.c checkpoint is truncated: the header needs ${28 + floatsNeeded * 4} bytes, the file has ${bytes.byteLength}.`);
  }
  // Copy (also correct for Node Buffers, whose slice() is a view into a shared pool).
  const all = new Float32Array(floatsNeeded);
  new Uint8Array(all.buffer).set(bytes.subarray(28, 28 + floatsNeeded * 4));
  let o = 0;
  const take = (n: number) => all.subarray(o, (o += n));
  const embed = take(V * dim).slice();
  const rmsAtt = take(L * dim);
  const wq = take(L * dim * dim);
  const wk = take(L * kvDim * dim);
  const wv = take(L * kvDim * dim);
  const wo = take(L * dim * dim);
  const rmsFfn = take(L * dim);
  const w1 = take(L * hiddenDim * dim);
  const w2 = take(L * dim * hiddenDim);
  const w3 = take(L * hiddenDim * dim);
  const finalNorm = take(dim).slice();
  take(seqLen * headDim); // legacy freq_cis_real + freq_cis_imag [seq, headDim/2] each
  const lmHead = header.sharedClassifier ? embed : take(V * dim).slice();

  const lin = (src: Float32Array, l: number, N: number, K: number): LinearF32 => ({ w: src.slice(l * N * K, (l + 1) * N * K), N, K });
  const layers: LayerWeightsF32[] = [];
  for (let l = 0; l < L; l++) {
    const q = lin(wq, l, dim, dim);
    const k = lin(wk, l, kvDim, dim);
    q.w = permuteInterleavedToHalf(q.w, nHeads, headDim, dim);
    k.w = permuteInterleavedToHalf(k.w, nKvHeads, headDim, dim);
    layers.push({
      attnNorm: rmsAtt.slice(l * dim, (l + 1) * dim),
      q,
      k,
      v: lin(wv, l, kvDim, dim),
      o: lin(wo, l, dim, dim),
      mlpNorm: rmsFfn.slice(l * dim, (l + 1) * dim),
      gate: lin(w1, l, hiddenDim, dim),
      up: lin(w3, l, hiddenDim, dim),
      down: lin(w2, l, dim, hiddenDim),
    });
  }
  return { header, weights: { embed, layers, finalNorm, lmHead } };
}

/**
 * Pads the MLP's intermediate size to a multiple of `multiple` with zeros (zero rows in gate/up, zero
 * columns in down): silu(0)·0 = 0, so the output is exactly unchanged.
 */
export function padIntermediate(weights: LlamaWeightsF32, multiple: number): number {
  const I = weights.layers[0].gate.N;
  const P = Math.ceil(I / multiple) * multiple;
  if (P === I) return I;
  for (const lw of weights.layers) {
    const D = lw.gate.K;
    for (const key of ['gate', 'up'] as const) {
      const w = new Float32Array(P * D);
      w.set(lw[key].w);
      lw[key] = { w, N: P, K: D };
    }
    const Dout = lw.down.N;
    const w = new Float32Array(Dout * P);
    for (let n = 0; n < Dout; n++) w.set(lw.down.w.subarray(n * I, (n + 1) * I), n * P);
    lw.down = { w, N: Dout, K: P };
  }
  return P;
}
