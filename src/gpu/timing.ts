// GPU time of a piece of encoded work, for the roofline, the kernel benchmark and the autotuner.
// With the timestamp-query feature: begin/end timestamps around ONE compute pass holding `reps` encodes
// (the GPU's own clock, no submit or readback latency). Without it: the wall clock around submit +
// onSubmittedWorkDone of the same pass, so `reps` must be large enough to hide the round trip.
// calibrateReps() picks reps so that one measurement lasts about `minMs` on this adapter.
import { createBuffer, type GpuContext } from './context';

export type EncodeFn = (pass: GPUComputePassEncoder) => void;

export class GpuTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuf: GPUBuffer | null;
  private readonly readBuf: GPUBuffer | null;
  /** 'timestamp' when the adapter's own clock is used, 'wall' otherwise. */
  readonly clock: 'timestamp' | 'wall';

  constructor(private readonly ctx: GpuContext, opts: { wallClock?: boolean } = {}) {
    const ts = !opts.wallClock && ctx.device.features.has('timestamp-query');
    this.clock = ts ? 'timestamp' : 'wall';
    this.querySet = ts ? ctx.device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
    this.resolveBuf = ts ? createBuffer(ctx, 16, 0x200 | 0x04, 'timer.resolve') : null; // u64 [2]; QUERY_RESOLVE | COPY_SRC
    this.readBuf = ts ? createBuffer(ctx, 16, 0x01 | 0x08, 'timer.read') : null; // u64 [2]; MAP_READ | COPY_DST
  }

  /** Milliseconds per encode of `reps` encodes in one pass (one submit). */
  async time(encode: EncodeFn, reps: number): Promise<number> {
    const enc = this.ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass(this.querySet ? { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    for (let i = 0; i < reps; i++) encode(pass);
    pass.end();
    if (this.querySet) {
      enc.resolveQuerySet(this.querySet, 0, 2, this.resolveBuf!, 0);
      enc.copyBufferToBuffer(this.resolveBuf!, 0, this.readBuf!, 0, 16);
    }
    const t0 = performance.now();
    this.ctx.device.queue.submit([enc.finish()]);
    await this.ctx.device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    if (!this.readBuf) return wall / reps;
    await this.readBuf.mapAsync(1);
    const t = new BigUint64Array(this.readBuf.getMappedRange().slice(0));
    this.readBuf.unmap();
    // Some drivers report zero or non-monotonic timestamps: fall back to the wall clock for this measurement.
    const gpuMs = t[1] > t[0] ? Number(t[1] - t[0]) / 1e6 : 0;
    return (gpuMs > 0 ? gpuMs : wall) / reps;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuf?.destroy();
    this.readBuf?.destroy();
  }
}

/** Encodes per measurement so that one lasts about minMs (the first call is also the warm-up). */
export async function calibrateReps(timer: GpuTimer, encode: EncodeFn, minMs: number, maxReps = 256): Promise<number> {
  await timer.time(encode, 1); // pipeline compilation, first touch
  const one = await timer.time(encode, 1);
  return Math.max(1, Math.min(maxReps, Math.ceil(minMs / Math.max(one, 1e-3))));
}
