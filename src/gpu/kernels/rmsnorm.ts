// RMSNorm (shaders/rmsnorm.wgsl): y = x * inverseSqrt(mean(x^2) + eps) * w, one workgroup per row.
import code from '../../../shaders/rmsnorm.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchWorkgroups, uniformWords } from './common';

export interface RmsNormBound { bindGroup: GPUBindGroup; gridX: number }

export class RmsNormKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: { eps: number }) {
    this.pipeline = getPipeline(ctx, 'rmsnorm', code);
  }

  /** x f32 [maxM, dim] → y f32 [maxM, dim] (must not alias x); weight f32 [dim]. */
  bind(x: GPUBuffer, weight: GPUBuffer, y: GPUBuffer, step: GPUBuffer, shape: { dim: number; maxM: number }): RmsNormBound {
    const gridX = Math.min(shape.maxM, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const params = uniformBuffer(this.ctx, uniformWords([shape.dim, { f: this.opts.eps }, gridX]), 'rmsnorm.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x } },
        { binding: 1, resource: { buffer: weight } },
        { binding: 2, resource: { buffer: y } },
        { binding: 3, resource: { buffer: params } },
        { binding: 4, resource: { buffer: step } },
      ],
    });
    return { bindGroup, gridX };
  }

  encode(pass: GPUComputePassEncoder, bound: RmsNormBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchWorkgroups(pass, bound.gridX, m);
  }
}
