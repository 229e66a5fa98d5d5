// RoPE + KV-cache append in one dispatch (shaders/rope-kv-store.wgsl): rotates q into q_out and k into the
// layer's K cache, copies v into the V cache, with Qwen3's per-head q/k RMSNorm folded in when given. Replaces
// the rope q, rope k, kv-store k, kv-store v (and head-rmsnorm q, k) dispatches of a layer.
import code from '../../../shaders/rope-kv-store.wgsl?raw';
import sinCosCode from '../../../shaders/sin-cos.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { dispatchWorkgroups, f16Variant, uniformWords } from './common';

/** Where q, k or v rows are read: element (i, c) at offset + i * stride + c (f32 elements). */
export interface RowSource { buffer: GPUBuffer; offset: number; stride: number }

export interface RopeKvStoreShape { nHeads: number; nKv: number; headDim: number; maxSeq: number; maxM: number }

export interface RopeKvStoreBound { bindGroup: GPUBindGroup; gridX: number; slots: number }

export class RopeKvStoreKernel {
  private readonly pipeline: GPUComputePipeline;
  readonly f16: boolean;
  constructor(private readonly ctx: GpuContext, private readonly opts: { eps: number }) {
    this.f16 = ctx.f16;
    const full = `${sinCosCode}\n${code}`;
    this.pipeline = this.f16 ? getPipeline(ctx, 'rope-kv-store.f16', f16Variant(full)) : getPipeline(ctx, 'rope-kv-store', full);
  }

  /**
   * The aux table f32 [headDim / 2 + 2 * headDim]: inv_freq, then the q and k norm weights (copied from their
   * buffers on the GPU; zeros when absent). `encoder` receives the copies (submit it before the first encode).
   */
  static aux(ctx: GpuContext, invFreq: Float32Array, headDim: number, norms: { q: GPUBuffer; k: GPUBuffer } | null, encoder: GPUCommandEncoder, label = 'rope-kv.aux'): GPUBuffer {
    const half = headDim / 2;
    const buf = createBuffer(ctx, (half + 2 * headDim) * 4, STORAGE, label); // f32 [half + 2 headDim]
    ctx.device.queue.writeBuffer(buf, 0, Float32Array.from(invFreq));
    if (norms) {
      encoder.copyBufferToBuffer(norms.q, 0, buf, half * 4, headDim * 4);
      encoder.copyBufferToBuffer(norms.k, 0, buf, (half + headDim) * 4, headDim * 4);
    }
    return buf;
  }

  /**
   * q/k/v sources (f32 rows, see RowSource) → qOut f32 [maxM, nHeads, headDim], kCache / vCache [maxSeq, nKv *
   * headDim] (one layer's buffers from createKvCache); aux from RopeKvStoreKernel.aux; `norm` applies the per-head
   * q/k RMSNorm whose weights aux holds.
   */
  bind(src: { q: RowSource; k: RowSource; v: RowSource }, aux: GPUBuffer, qOut: GPUBuffer, kCache: GPUBuffer, vCache: GPUBuffer, step: GPUBuffer, shape: RopeKvStoreShape, norm: boolean): RopeKvStoreBound {
    const slots = shape.nHeads + shape.nKv;
    const gridX = Math.min(shape.maxM * slots, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const params = uniformBuffer(this.ctx, uniformWords([
      shape.nHeads, shape.nKv, shape.headDim, shape.maxSeq,
      src.q.offset, src.q.stride, src.k.offset, src.k.stride,
      src.v.offset, src.v.stride, norm ? 1 : 0, { f: this.opts.eps },
      gridX, 0, 0, 0,
    ]), 'rope-kv-store.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src.q.buffer } },
        { binding: 1, resource: { buffer: src.k.buffer } },
        { binding: 2, resource: { buffer: src.v.buffer } },
        { binding: 3, resource: { buffer: aux } },
        { binding: 4, resource: { buffer: qOut } },
        { binding: 5, resource: { buffer: kCache } },
        { binding: 6, resource: { buffer: vCache } },
        { binding: 7, resource: { buffer: params } },
        { binding: 8, resource: { buffer: step } },
      ],
    });
    return { bindGroup, gridX, slots };
  }

  encode(pass: GPUComputePassEncoder, bound: RopeKvStoreBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchWorkgroups(pass, bound.gridX, m * bound.slots);
  }
}
