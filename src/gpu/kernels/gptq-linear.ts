// GPTQ 4-bit linear layers on the repacked layout (src/gpu/gptq-repack.ts): GptqMatvecKernel (decode, M = 1)
// and GptqMatmulKernel (prefill, M > 1), fused dequant, optional bias, optional accumulate (y += W x + b).
// Every linear first prepares its input ONCE (shaders/gptq-prepare-x.wgsl): x in packed order (act-order
// resolved there) pre-scaled by 16^-(p % 4) so that a nibble becomes a float with one mask + convert, and the
// per-group sums of x that the zero-point term needs (instead of every output row re-summing them). The
// prepared x lives in scratch buffers owned by the kernel instance and shared by all its bindings (dispatches
// in a pass run in order). Both kernels read f32 activations and do f32 arithmetic on either precision path.
import matvecCode from '../../../shaders/gptq-matvec.wgsl?raw';
import matmulCode from '../../../shaders/gptq-matmul.wgsl?raw';
import prepareCode from '../../../shaders/gptq-prepare-x.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { placeholderBuffer, type GpuGptq } from '../gptq-repack';
import { dispatchLinear, getPipelineWithConstants, linearGrid, uniformWords, type Grid } from './common';

export interface GptqLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface GptqBound {
  /** The preparation of x (packed order, nibble scaling, group sums), dispatched before the main kernel. */
  prepare: { bindGroup: GPUBindGroup; grid: Grid; nGroups: number; rows: 'm' | 'one' };
  groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid }[];
}

type RowMode = 'all' | 'first' | 'last';

/** Rows of the matvec handled by one thread (must match ROWS in shaders/gptq-matvec.wgsl). */
export const MATVEC_ROWS_PER_THREAD = 4;
/** Tokens per thread of the matmul (must match TM in shaders/gptq-matmul.wgsl). */
export const MATMUL_TOKENS_PER_THREAD = 4;
/** Output rows per workgroup of 64 threads of the matmul (64 * RT in shaders/gptq-matmul.wgsl). */
export const MATMUL_ROWS_PER_WORKGROUP = 512;

/** Shared by both kernels: pipelines, the prepared-x scratch, and the bind logic. */
class GptqLinearBase {
  protected readonly pipeline: GPUComputePipeline;
  private readonly preparePipeline: GPUComputePipeline;
  private xsScratch: GPUBuffer | null = null;
  private gsumScratch: GPUBuffer | null = null;
  private dummy: GPUBuffer | null = null;

  constructor(protected readonly ctx: GpuContext, private readonly key: string, code: string) {
    this.pipeline = getPipelineWithConstants(ctx, key, code, {});
    this.preparePipeline = getPipeline(ctx, 'gptq-prepare-x', prepareCode);
  }

  // A bigger request gets a new buffer; the old one stays alive for the bind groups that use it.
  private xsFor(bytes: number): GPUBuffer {
    if (!this.xsScratch || this.xsScratch.size < bytes) this.xsScratch = createBuffer(this.ctx, bytes, STORAGE, `${this.key}.xs`);
    return this.xsScratch;
  }

  private gsumFor(bytes: number): GPUBuffer {
    if (!this.gsumScratch || this.gsumScratch.size < bytes) this.gsumScratch = createBuffer(this.ctx, bytes, STORAGE, `${this.key}.gsum`);
    return this.gsumScratch;
  }

  /** threadsPerRowBlock(rows): threads the main kernel needs for `rows` rows at the largest M of this binding. */
  protected bindLinear(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, rowMode: RowMode, maxM: number, maxThreads: (rows: number) => number, accumulate: boolean): GptqBound {
    const ctx = this.ctx;
    const xRows = rowMode === 'all' ? maxM : 1;
    const xs = this.xsFor(xRows * w.K * 4); // f32 [xRows, K]
    const gsum = this.gsumFor(xRows * w.nGroups * 4); // f32 [xRows, nGroups]
    const dummy = (this.dummy ??= placeholderBuffer(ctx));
    const prepGrid = linearGrid(ctx, xRows * w.nGroups, 64);
    const prepParams = uniformBuffer(ctx, uniformWords([
      w.K, rowMode === 'all' ? 0 : rowMode === 'first' ? 1 : 2, prepGrid.stride, w.nGroups, w.groupSize, w.perm ? 1 : 0,
    ]), 'gptq-prepare-x.params');
    const prepare: GptqBound['prepare'] = {
      bindGroup: ctx.device.createBindGroup({
        layout: this.preparePipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: x } },
          { binding: 1, resource: { buffer: w.perm ?? dummy } },
          { binding: 2, resource: { buffer: xs } },
          { binding: 3, resource: { buffer: gsum } },
          { binding: 4, resource: { buffer: prepParams } },
          { binding: 5, resource: { buffer: step } },
        ],
      }),
      grid: prepGrid,
      nGroups: w.nGroups,
      rows: rowMode === 'all' ? 'm' : 'one',
    };
    const bias = w.bias ?? dummy;
    return {
      prepare,
      groups: w.chunks.map((c) => {
        const grid = linearGrid(ctx, maxThreads(c.rows), 64);
        const params = uniformBuffer(ctx, uniformWords([
          w.K, c.rows, c.rowStart, w.nGroups,
          w.groupSize / 8, 0, w.bias ? 1 : 0, accumulate ? 1 : 0,
          0, grid.stride, w.N, 0,
        ]), `${this.key}.params`);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: xs } },
          { binding: 1, resource: { buffer: c.words } },
          { binding: 2, resource: { buffer: c.sz } },
          { binding: 3, resource: { buffer: gsum } },
          { binding: 4, resource: { buffer: bias } },
          { binding: 5, resource: { buffer: y } },
          { binding: 6, resource: { buffer: params } },
        ];
        if (rowMode === 'all') entries.push({ binding: 7, resource: { buffer: step } });
        const bindGroup = ctx.device.createBindGroup({ layout: this.pipeline.getBindGroupLayout(0), entries });
        return { bindGroup, rows: c.rows, grid };
      }),
    };
  }

  protected encodeLinear(pass: GPUComputePassEncoder, bound: GptqBound, m: number, threads: (rows: number) => number): void {
    const prep = bound.prepare;
    pass.setPipeline(this.preparePipeline);
    pass.setBindGroup(0, prep.bindGroup);
    dispatchLinear(pass, prep.grid, (prep.rows === 'm' ? m : 1) * prep.nGroups);
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, threads(g.rows));
    }
  }
}

/** Threads of the matvec for `rows` rows: 64 per block of 64 * ROWS rows. */
function matvecThreads(rows: number): number {
  return Math.ceil(rows / (64 * MATVEC_ROWS_PER_THREAD)) * 64;
}

/** Threads of the matmul for `rows` rows and m tokens: 64 per (block of 512 rows, tile of TM tokens). */
function matmulThreads(rows: number, m: number): number {
  return Math.ceil(rows / MATMUL_ROWS_PER_WORKGROUP) * Math.ceil(m / MATMUL_TOKENS_PER_THREAD) * 64;
}

/** x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N]. Each thread owns ROWS output rows. */
export class GptqMatvecKernel extends GptqLinearBase {
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions & { xRow?: 'first' | 'last' } = {}) {
    super(ctx, 'gptq-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer): GptqBound {
    return this.bindLinear(x, w, y, step, this.opts.xRow === 'last' ? 'last' : 'first', 1, matvecThreads, !!this.opts.accumulate);
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, _m = 1): void {
    this.encodeLinear(pass, bound, 1, matvecThreads);
  }
}

/** x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM. One thread per (8 output rows, TM tokens). */
export class GptqMatmulKernel extends GptqLinearBase {
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions = {}) {
    super(ctx, 'gptq-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }): GptqBound {
    return this.bindLinear(x, w, y, step, 'all', shape.maxM, (rows) => matmulThreads(rows, shape.maxM), !!this.opts.accumulate);
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, m: number): void {
    this.encodeLinear(pass, bound, m, (rows) => matmulThreads(rows, m));
  }
}
