// Per-head RMSNorm in place (shaders/head-rmsnorm.wgsl): Qwen3's q_norm / k_norm over each head of q or k.
import code from '../../../shaders/head-rmsnorm.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchWorkgroups, uniformWords } from './common';

export interface HeadRmsNormBound { bindGroup: GPUBindGroup; gridX: number; nHeads: number }

export class HeadRmsNormKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: { eps: number }) {
    this.pipeline = getPipeline(ctx, 'head-rmsnorm', code);
  }

  /** x f32 [maxM, nHeads, headDim] (in place); weight f32 [headDim]. */
  bind(x: GPUBuffer, weight: GPUBuffer, step: GPUBuffer, shape: { headDim: number; nHeads: number; maxM: number }): HeadRmsNormBound {
    const gridX = Math.min(shape.maxM * shape.nHeads, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const params = uniformBuffer(this.ctx, uniformWords([shape.headDim, shape.nHeads, { f: this.opts.eps }, gridX]), 'head-rmsnorm.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x } },
        { binding: 1, resource: { buffer: weight } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, gridX, nHeads: shape.nHeads };
  }

  encode(pass: GPUComputePassEncoder, bound: HeadRmsNormBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchWorkgroups(pass, bound.gridX, m * bound.nHeads);
  }
}
