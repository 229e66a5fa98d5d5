// Read-only roofline probes for src/gpu/roofline.ts: sum a large buffer, each vec4<u32> read once, one partial
// sum per workgroup (their wrapping sum is the CPU twin's checksum). Two access patterns, each with a
// workgroup-size override:
//   'grid-stride' (shaders/read-bandwidth.wgsl): `workgroups` workgroups, thread t reads t, t + T, …
//   'contiguous'  (shaders/read-bandwidth-contiguous.wgsl): thread t reads its own run of `run` vec4s.
import gridStrideCode from '../../../shaders/read-bandwidth.wgsl?raw';
import contiguousCode from '../../../shaders/read-bandwidth-contiguous.wgsl?raw';
import { createBuffer, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { dispatchWorkgroups, getPipelineWithConstants, uniformWords } from './common';

export interface ReadPattern {
  kind: 'grid-stride' | 'contiguous';
  /** Threads per workgroup (a power of two). */
  workgroupSize: number;
  /** grid-stride: workgroups launched (clamped to what the buffer and the adapter allow). */
  workgroups?: number;
  /** contiguous: vec4<u32> per thread. */
  run?: number;
}

export interface ReadBandwidthBound {
  bindGroup: GPUBindGroup;
  /** Workgroups dispatched = entries of `partials`. */
  workgroups: number;
  gridX: number;
  /** u32 [workgroups]: the wrapping sum of each workgroup's reads. */
  partials: GPUBuffer;
  params: GPUBuffer;
}

export function describePattern(p: ReadPattern): string {
  return p.kind === 'grid-stride' ? `grid-stride wg${p.workgroupSize} x${p.workgroups ?? 256}` : `contiguous wg${p.workgroupSize} run${p.run ?? 16}`;
}

export class ReadBandwidthKernel {
  private readonly pipeline: GPUComputePipeline;
  readonly pattern: ReadPattern;
  constructor(private readonly ctx: GpuContext, pattern: Partial<ReadPattern> = {}) {
    const wg = Math.min(pattern.workgroupSize ?? 256, ctx.limits.maxComputeInvocationsPerWorkgroup, ctx.limits.maxComputeWorkgroupSizeX);
    this.pattern = { kind: pattern.kind ?? 'grid-stride', workgroupSize: wg, workgroups: pattern.workgroups, run: pattern.run };
    const contiguous = this.pattern.kind === 'contiguous';
    this.pipeline = getPipelineWithConstants(ctx, contiguous ? 'read-bandwidth-contiguous' : 'read-bandwidth', contiguous ? contiguousCode : gridStrideCode, { WG: wg });
  }

  /** src: bytes (a multiple of 16) to read; partials u32 [workgroups] is allocated here. opts.workgroups overrides the pattern's (grid-stride). */
  bind(src: GPUBuffer, byteLength: number, opts: { workgroups?: number } = {}): ReadBandwidthBound {
    const ctx = this.ctx;
    const nVec4 = Math.floor(byteLength / 16);
    const wg = this.pattern.workgroupSize;
    const maxX = ctx.limits.maxComputeWorkgroupsPerDimension;
    let workgroups: number, gridX: number, words: number[];
    if (this.pattern.kind === 'grid-stride') {
      workgroups = Math.max(1, Math.min(opts.workgroups ?? this.pattern.workgroups ?? 256, Math.ceil(nVec4 / wg), maxX));
      gridX = workgroups;
      words = [nVec4, workgroups * wg];
    } else {
      const run = Math.max(1, this.pattern.run ?? 16);
      workgroups = Math.max(1, Math.ceil(nVec4 / (run * wg)));
      gridX = Math.min(workgroups, maxX);
      words = [nVec4, run, gridX];
    }
    const partials = createBuffer(ctx, workgroups * 4, STORAGE, 'read-bandwidth.partials'); // u32 [workgroups]
    const params = uniformBuffer(ctx, uniformWords(words), 'read-bandwidth.params');
    const bindGroup = ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src, size: nVec4 * 16 } },
        { binding: 1, resource: { buffer: partials } },
        { binding: 2, resource: { buffer: params } },
      ],
    });
    return { bindGroup, workgroups, gridX, partials, params };
  }

  encode(pass: GPUComputePassEncoder, bound: ReadBandwidthBound): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchWorkgroups(pass, bound.gridX, bound.workgroups);
  }
}
