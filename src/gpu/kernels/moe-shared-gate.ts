// Qwen2-MoE shared-expert gate (shaders/moe-shared-gate.wgsl): h[t, :] *= sigmoid(g[t]) in place.
// CPU twin: src/gpu/cpu/moe-shared-gate.ts.
import code from '../../../shaders/moe-shared-gate.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface MoeSharedGateBound { bindGroup: GPUBindGroup; grid: Grid; f: number }

export class MoeSharedGateKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'moe-shared-gate', code);
  }

  /** h f32 [maxM, f] (scaled in place), g f32 [maxM]. */
  bind(h: GPUBuffer, g: GPUBuffer, step: GPUBuffer, shape: { f: number; maxM: number }): MoeSharedGateBound {
    const grid = linearGrid(this.ctx, shape.maxM * shape.f, 256);
    const params = uniformBuffer(this.ctx, uniformWords([shape.f, grid.stride]), 'moe-shared-gate.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: h } },
        { binding: 1, resource: { buffer: g } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, grid, f: shape.f };
  }

  encode(pass: GPUComputePassEncoder, b: MoeSharedGateBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, b.bindGroup);
    dispatchLinear(pass, b.grid, m * b.f);
  }
}
