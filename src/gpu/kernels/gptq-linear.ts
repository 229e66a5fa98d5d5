// GPTQ 4-bit linear layers on the repacked layout (src/gpu/gptq-repack.ts): GptqMatvecKernel (decode, M = 1)
// and GptqMatmulKernel (prefill, M > 1), fused dequant, optional bias, optional accumulate (y += W x + b).
// Act-order layers (w.perm) first gather x into packed order (shaders/gptq-permute-x.wgsl) into a scratch
// buffer owned by the kernel instance and shared by all its bindings (dispatches in a pass run in order), so
// the main kernel always reads x contiguously. Both read f32 activations and do f32 arithmetic on either
// precision path (scales are f16 in the packed words either way).
import matvecCode from '../../../shaders/gptq-matvec.wgsl?raw';
import matmulCode from '../../../shaders/gptq-matmul.wgsl?raw';
import permuteCode from '../../../shaders/gptq-permute-x.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { placeholderBuffer, type GpuGptq } from '../gptq-repack';
import { dispatchLinear, getPipelineWithConstants, linearGrid, uniformWords, type Grid } from './common';

export interface GptqLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface GptqBound {
  /** Act-order only: the gather of x into packed order, dispatched before the main kernel. */
  permute: { bindGroup: GPUBindGroup; grid: Grid; K: number; rows: 'm' | 'one' } | null;
  groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid }[];
}

type RowMode = 'all' | 'first' | 'last';

/** Shared by both kernels: pipelines, the permute scratch, and the bind logic. */
class GptqLinearBase {
  protected readonly pipeline: GPUComputePipeline;
  private readonly permutePipeline: GPUComputePipeline;
  private scratch: GPUBuffer | null = null;
  private dummy: GPUBuffer | null = null;

  constructor(protected readonly ctx: GpuContext, private readonly key: string, code: string) {
    this.pipeline = getPipelineWithConstants(ctx, key, code, {});
    this.permutePipeline = getPipeline(ctx, 'gptq-permute-x', permuteCode);
  }

  private scratchFor(bytes: number): GPUBuffer {
    // A bigger request gets a new buffer; the old one stays alive for the bind groups that use it.
    if (!this.scratch || this.scratch.size < bytes) this.scratch = createBuffer(this.ctx, bytes, STORAGE, `${this.key}.xperm`);
    return this.scratch;
  }

  protected bindLinear(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, rowMode: RowMode, maxM: number, threadsPerRow: number, accumulate: boolean): GptqBound {
    const ctx = this.ctx;
    let input = x;
    let permute: GptqBound['permute'] = null;
    let xRowLast = rowMode === 'last';
    if (w.perm) {
      const rows = rowMode === 'all' ? maxM : 1;
      input = this.scratchFor(rows * w.K * 4);
      const grid = linearGrid(ctx, rows * w.K, 256);
      const params = uniformBuffer(ctx, uniformWords([w.K, rowMode === 'all' ? 0 : rowMode === 'first' ? 1 : 2, grid.stride]), 'gptq-permute-x.params');
      const bindGroup = ctx.device.createBindGroup({
        layout: this.permutePipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: x } },
          { binding: 1, resource: { buffer: w.perm } },
          { binding: 2, resource: { buffer: input } },
          { binding: 3, resource: { buffer: params } },
          { binding: 4, resource: { buffer: step } },
        ],
      });
      permute = { bindGroup, grid, K: w.K, rows: rowMode === 'all' ? 'm' : 'one' };
      xRowLast = false; // the gathered row is row 0 of the scratch
    }
    const bias = w.bias ?? (this.dummy ??= placeholderBuffer(ctx));
    return {
      permute,
      groups: w.chunks.map((c) => {
        const grid = linearGrid(ctx, c.rows * threadsPerRow, 64);
        const params = uniformBuffer(ctx, uniformWords([
          w.K, c.rows, c.rowStart, w.nGroups,
          w.groupSize / 8, 0, w.bias ? 1 : 0, accumulate ? 1 : 0,
          xRowLast ? 1 : 0, grid.stride, w.N, 0,
        ]), `${this.key}.params`);
        const bindGroup = ctx.device.createBindGroup({
          layout: this.pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: input } },
            { binding: 1, resource: { buffer: c.words } },
            { binding: 2, resource: { buffer: c.sz } },
            { binding: 4, resource: { buffer: bias } },
            { binding: 5, resource: { buffer: y } },
            { binding: 6, resource: { buffer: params } },
            { binding: 7, resource: { buffer: step } },
          ],
        });
        return { bindGroup, rows: c.rows, grid };
      }),
    };
  }

  protected encodeLinear(pass: GPUComputePassEncoder, bound: GptqBound, m: number, threads: (rows: number) => number): void {
    if (bound.permute) {
      pass.setPipeline(this.permutePipeline);
      pass.setBindGroup(0, bound.permute.bindGroup);
      dispatchLinear(pass, bound.permute.grid, (bound.permute.rows === 'm' ? m : 1) * bound.permute.K);
    }
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, threads(g.rows));
    }
  }
}

/** x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N]. One thread per output row. */
export class GptqMatvecKernel extends GptqLinearBase {
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions & { xRow?: 'first' | 'last' } = {}) {
    super(ctx, 'gptq-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer): GptqBound {
    return this.bindLinear(x, w, y, step, this.opts.xRow === 'last' ? 'last' : 'first', 1, 1, !!this.opts.accumulate);
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, _m = 1): void {
    this.encodeLinear(pass, bound, 1, (rows) => rows);
  }
}

/** x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM. One thread per (output row, 4 tokens). */
export class GptqMatmulKernel extends GptqLinearBase {
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions = {}) {
    super(ctx, 'gptq-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }): GptqBound {
    return this.bindLinear(x, w, y, step, 'all', shape.maxM, Math.ceil(shape.maxM / 4), !!this.opts.accumulate);
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, m: number): void {
    this.encodeLinear(pass, bound, m, (rows) => rows * Math.ceil(m / 4));
  }
}
