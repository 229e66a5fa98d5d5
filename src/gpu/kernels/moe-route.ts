// MoE routing on the GPU (shaders/moe-route.wgsl): router logits [M, E] → route [M, k, 2] (expert id, weight),
// softmax over all experts in f32, top-k, optional renormalisation. CPU twin: src/gpu/cpu/moe-route.ts.
import code from '../../../shaders/moe-route.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { AppError } from '../../shared/errors';
import { uniformWords } from './common';

export interface MoeRouteBound { bindGroup: GPUBindGroup }

/** The most experts the routing kernel's private arrays hold. */
export const MOE_MAX_EXPERTS = 256;

export class MoeRouteKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'moe-route', code);
  }

  /** logits f32 [maxM, nExperts] → route u32 [maxM, topK, 2]. */
  bind(logits: GPUBuffer, route: GPUBuffer, step: GPUBuffer, o: { nExperts: number; topK: number; normTopK: boolean }): MoeRouteBound {
    if (o.nExperts > MOE_MAX_EXPERTS) throw new AppError('UNSUPPORTED_MODEL', `This model has ${o.nExperts} experts per layer; the GPU router handles at most ${MOE_MAX_EXPERTS}.`);
    if (!(o.topK >= 1 && o.topK <= o.nExperts)) throw new AppError('MALFORMED_CONFIG', `num_experts_per_tok (${o.topK}) must be between 1 and the number of experts (${o.nExperts}).`);
    const params = uniformBuffer(this.ctx, uniformWords([o.nExperts, o.topK, o.normTopK ? 1 : 0]), 'moe-route.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: logits } },
        { binding: 1, resource: { buffer: route } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup };
  }

  encode(pass: GPUComputePassEncoder, b: MoeRouteBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, b.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(m / 64));
  }
}
