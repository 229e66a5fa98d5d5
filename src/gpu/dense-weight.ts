// Unquantized weight matrices on the GPU (embedding table, lm_head, fully unquantized checkpoints).
// Layout: nn.Linear [rows, cols] row-major. Rows are split into chunks so that no buffer/binding exceeds
// min(maxStorageBufferBindingSize, maxBufferSize, opts.maxChunkBytes); kernels dispatch once per chunk.
// f16 weights are stored as packed pairs in u32 words (element e of a chunk: low half of word e >> 1 when e is
// even, high half when odd), read with unpack2x16float (no shader-f16 needed). BF16 is converted by the caller.
import { AppError } from '../shared/errors';
import { createBuffer, STORAGE, type GpuContext } from './context';

export interface DenseChunk {
  /** f32 [rows, cols] or packed f16 pairs [ceil(rows * cols / 2)] u32. */
  buffer: GPUBuffer;
  rowStart: number;
  rows: number;
}

export interface DenseWeight {
  rows: number;
  cols: number;
  dtype: 'f32' | 'f16';
  chunks: DenseChunk[];
}

/** Largest chunk size in bytes for this context (a multiple of 16, so the 16-byte buffer rounding stays under it). */
export function maxChunkBytes(ctx: GpuContext, requested?: number): number {
  const lim = Math.min(ctx.limits.maxStorageBufferBindingSize - 4, ctx.limits.maxBufferSize - 4, requested ?? Infinity);
  return Math.floor(lim / 16) * 16;
}

/** Rows per chunk for rows of `rowBytes` bytes under the chunk limit. */
export function rowsPerChunk(ctx: GpuContext, rowBytes: number, requested: number | undefined, what: string): number {
  const lim = maxChunkBytes(ctx, requested);
  const rows = Math.floor(lim / rowBytes);
  if (rows < 1) {
    throw new AppError('ADAPTER_TOO_SMALL', `One row of ${what} (${rowBytes} bytes) does not fit in this GPU's largest storage binding (${lim} bytes). Use a smaller model or another GPU.`);
  }
  return rows;
}

export function uploadDense(
  ctx: GpuContext,
  data: Float32Array | { f16: Uint16Array },
  rows: number,
  cols: number,
  opts: { maxChunkBytes?: number; label?: string } = {},
): DenseWeight {
  const isF16 = !(data instanceof Float32Array);
  const src = isF16 ? (data as { f16: Uint16Array }).f16 : (data as Float32Array);
  if (src.length !== rows * cols) {
    throw new AppError('MALFORMED_WEIGHTS', `Weight ${opts.label ?? ''} has ${src.length} values, expected ${rows} x ${cols}.`);
  }
  const elemBytes = isF16 ? 2 : 4;
  // Each chunk is its own buffer starting at element 0; an odd f16 element count is padded by 2 bytes.
  const perChunk = rowsPerChunk(ctx, cols * elemBytes, (opts.maxChunkBytes ?? Infinity) - 4, opts.label ?? 'a weight matrix');
  const chunks: DenseChunk[] = [];
  for (let r0 = 0; r0 < rows; r0 += perChunk) {
    const n = Math.min(perChunk, rows - r0);
    const part = src.subarray(r0 * cols, (r0 + n) * cols);
    const bytes = new Uint8Array(Math.ceil(part.byteLength / 4) * 4);
    bytes.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    const buffer = createBuffer(ctx, bytes.byteLength, STORAGE, `${opts.label ?? 'dense'}[${r0}:${r0 + n}]`);
    ctx.device.queue.writeBuffer(buffer, 0, bytes);
    chunks.push({ buffer, rowStart: r0, rows: n });
  }
  return { rows, cols, dtype: isF16 ? 'f16' : 'f32', chunks };
}

export function destroyDense(w: DenseWeight): void {
  for (const c of w.chunks) c.buffer.destroy();
}
