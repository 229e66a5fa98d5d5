// Read-only roofline probe (shaders/read-bandwidth.wgsl) for `bench`: sums a large buffer, each vec4<u32> read
// once, one partial sum per workgroup. Bandwidth = bytes / GPU time of encode().
import code from '../../../shaders/read-bandwidth.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { uniformWords } from './common';

export interface ReadBandwidthBound { bindGroup: GPUBindGroup; workgroups: number; partials: GPUBuffer }

export class ReadBandwidthKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'read-bandwidth', code);
  }

  /** src: bytes (a multiple of 16) to read; partials u32 [workgroups] is allocated here. */
  bind(src: GPUBuffer, byteLength: number, opts: { workgroups?: number } = {}): ReadBandwidthBound {
    const nVec4 = Math.floor(byteLength / 16);
    const workgroups = Math.max(1, Math.min(opts.workgroups ?? 256, Math.ceil(nVec4 / 256), this.ctx.limits.maxComputeWorkgroupsPerDimension));
    const partials = createBuffer(this.ctx, workgroups * 4, STORAGE, 'read-bandwidth.partials');
    const params = uniformBuffer(this.ctx, uniformWords([nVec4, workgroups * 256]), 'read-bandwidth.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src, size: nVec4 * 16 } },
        { binding: 1, resource: { buffer: partials } },
        { binding: 2, resource: { buffer: params } },
      ],
    });
    return { bindGroup, workgroups, partials };
  }

  encode(pass: GPUComputePassEncoder, bound: ReadBandwidthBound): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    pass.dispatchWorkgroups(bound.workgroups);
  }
}
