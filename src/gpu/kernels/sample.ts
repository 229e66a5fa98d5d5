// GPU sampling (shaders/sample.wgsl): repetition penalty, greedy / temperature + top-k + top-p, counter-based RNG
// from Step.seed and Step.sample_step. Writes the id to out[0] AND to history[Step.kv_len] (the position of the
// sampled token), so the next step's penalty sees it. The forward writes the prompt ids into history[0..kv_len).
import code from '../../../shaders/sample.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import type { SamplerOptions } from '../cpu/sample';
import { uniformWords } from './common';

export type { SamplerOptions } from '../cpu/sample';

export interface SampleBound { bindGroup: GPUBindGroup; sampler: GPUBuffer }

export function samplerWords(o: SamplerOptions): Uint32Array<ArrayBuffer> {
  const t = Math.fround(o.temperature);
  return uniformWords([{ f: t }, Math.max(0, Math.floor(o.topK)), { f: o.topP }, { f: o.repetitionPenalty }, { f: t > 0 ? Math.fround(1 / t) : 0 }]);
}

export class SampleKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'sample', code);
  }

  /** logits f32 [V]; history u32 [maxSeq]; out u32 [1]. Scratch [V] f32 x2 is allocated here once. */
  bind(logits: GPUBuffer, history: GPUBuffer, out: GPUBuffer, step: GPUBuffer, shape: { vocab: number; maxSeq: number }, opts: SamplerOptions): SampleBound {
    const work = createBuffer(this.ctx, shape.vocab * 4, STORAGE, 'sample.work');
    const probs = createBuffer(this.ctx, shape.vocab * 4, STORAGE, 'sample.probs');
    const params = uniformBuffer(this.ctx, uniformWords([shape.vocab, shape.maxSeq]), 'sample.params');
    const sampler = uniformBuffer(this.ctx, samplerWords(opts), 'sample.options');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: logits } },
        { binding: 1, resource: { buffer: history } },
        { binding: 2, resource: { buffer: out } },
        { binding: 3, resource: { buffer: work } },
        { binding: 4, resource: { buffer: probs } },
        { binding: 5, resource: { buffer: params } },
        { binding: 6, resource: { buffer: sampler } },
        { binding: 7, resource: { buffer: step } },
      ],
    });
    return { bindGroup, sampler };
  }

  /** Changes temperature / top-k / top-p / penalty (a queue write; no new bind group). */
  setOptions(queue: GPUQueue, bound: SampleBound, opts: SamplerOptions): void {
    queue.writeBuffer(bound.sampler, 0, samplerWords(opts));
  }

  encode(pass: GPUComputePassEncoder, bound: SampleBound): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    pass.dispatchWorkgroups(1);
  }
}
