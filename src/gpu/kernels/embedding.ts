// Embedding lookup (shaders/embedding.wgsl) from a DenseWeight table [vocab, dim] (split into row chunks).
import code from '../../../shaders/embedding.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import type { DenseWeight } from '../dense-weight';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface EmbeddingBound { groups: GPUBindGroup[]; grid: Grid; dim: number }

export class EmbeddingKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'embedding', code);
  }

  /** ids u32 [maxM], out f32 [maxM, dim]; step = the shared step uniform. */
  bind(ids: GPUBuffer, table: DenseWeight, out: GPUBuffer, step: GPUBuffer, shape: { maxM: number }): EmbeddingBound {
    const dim = table.cols;
    const grid = linearGrid(this.ctx, shape.maxM * dim, 256);
    const groups = table.chunks.map((c) => {
      const params = uniformBuffer(this.ctx, uniformWords([dim, c.rowStart, c.rows, grid.stride, table.dtype === 'f16' ? 1 : 0]), 'embedding.params');
      return this.ctx.device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: ids } },
          { binding: 1, resource: { buffer: c.buffer } },
          { binding: 2, resource: { buffer: out } },
          { binding: 3, resource: { buffer: params } },
          { binding: 4, resource: { buffer: step } },
        ],
      });
    });
    return { groups, grid, dim };
  }

  encode(pass: GPUComputePassEncoder, bound: EmbeddingBound, m: number): void {
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g);
      dispatchLinear(pass, bound.grid, m * bound.dim);
    }
  }
}
