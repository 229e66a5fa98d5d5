// Achievable read bandwidth of this adapter (docs/PERFORMANCE.md): the best of several read-only access
// patterns over one buffer larger than the adapter's caches, filled with non-zero pseudo-random words.
//   grid-stride (coalesced, the GPU pattern) at several workgroup sizes and workgroup counts, and
//   contiguous runs per thread (the CPU-driver pattern) at several workgroup sizes and run lengths,
// all with vec4<u32> loads. Every pattern writes per-workgroup checksums that are checked against the CPU sum
// of the buffer, so the reads cannot be optimised away and a wrong probe fails loudly. Patterns are measured
// in `rounds` interleaved rounds (A, B, …, A, B, …) and each keeps its best; the roofline is the best of all.
import { AppError } from '../shared/errors';
import { createBuffer, readBuffer, STORAGE, type GpuContext } from './context';
import { describePattern, ReadBandwidthKernel, type ReadBandwidthBound, type ReadPattern } from './kernels/read-bandwidth';
import { GpuTimer, calibrateReps } from './timing';

/** Bytes read by default: larger than any current GPU's L2 / last-level cache (and this CPU's L3). */
export const ROOFLINE_BYTES = 256 * 2 ** 20;
const BLOCK_BYTES = 2 ** 20;

export interface RooflinePatternResult { pattern: string; gbps: number }
export interface RooflineResult {
  gbps: number;
  best: string;
  bytes: number;
  clock: 'timestamp' | 'wall';
  patterns: RooflinePatternResult[];
}

export interface RooflineOptions {
  bytes?: number;
  rounds?: number;
  /** Target duration of one measurement (encodes per pass are calibrated to it). */
  minMs?: number;
  patterns?: ReadPattern[];
  /** Use the wall clock even where timestamp queries exist. */
  wallClock?: boolean;
}

export function defaultReadPatterns(): ReadPattern[] {
  return [
    { kind: 'grid-stride', workgroupSize: 64, workgroups: 256 },
    { kind: 'grid-stride', workgroupSize: 64, workgroups: 1024 },
    { kind: 'grid-stride', workgroupSize: 256, workgroups: 1024 },
    { kind: 'grid-stride', workgroupSize: 256, workgroups: 4096 },
    { kind: 'grid-stride', workgroupSize: 256, workgroups: 16384 },
    { kind: 'contiguous', workgroupSize: 64, run: 64 },
    { kind: 'contiguous', workgroupSize: 256, run: 64 },
    { kind: 'contiguous', workgroupSize: 256, run: 256 },
  ];
}

/** The bytes a probe can read on this adapter: `requested` (default ROOFLINE_BYTES) within the binding limits, whole 1 MiB blocks. */
export function rooflineBytes(ctx: GpuContext, requested = ROOFLINE_BYTES): number {
  const lim = Math.min(requested, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  return Math.max(1, Math.floor(lim / BLOCK_BYTES)) * BLOCK_BYTES;
}

/** A buffer of `bytes` (whole 1 MiB blocks) of non-zero pseudo-random u32 words; returns it and the wrapping sum of its words. */
export function nonZeroBuffer(ctx: GpuContext, bytes: number, label = 'roofline.src'): { buffer: GPUBuffer; checksum: number } {
  const blocks = Math.max(1, Math.floor(bytes / BLOCK_BYTES));
  const block = new Uint32Array(BLOCK_BYTES / 4);
  let s = 0x9e3779b9, sum = 0;
  for (let i = 0; i < block.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    block[i] = s | 1;
    sum = (sum + block[i]) >>> 0;
  }
  const buffer = createBuffer(ctx, blocks * BLOCK_BYTES, STORAGE, label); // u32 [bytes / 4]
  for (let b = 0; b < blocks; b++) ctx.device.queue.writeBuffer(buffer, b * BLOCK_BYTES, block);
  return { buffer, checksum: Math.imul(sum, blocks) >>> 0 };
}

/**
 * The probes bound once (buffer filled, encodes per measurement calibrated); round() measures every pattern
 * once, so a caller can interleave rounds with its own measurements (bench-kernels); result() checks every
 * pattern's checksum and returns each pattern's best.
 */
export class RooflineProbe {
  private constructor(
    private readonly ctx: GpuContext,
    private readonly buffer: GPUBuffer,
    private readonly checksum: number,
    readonly bytes: number,
    private readonly timer: GpuTimer,
    private readonly probes: { name: string; kernel: ReadBandwidthKernel; bound: ReadBandwidthBound; reps: number; best: number }[],
  ) {}

  static async create(ctx: GpuContext, opts: RooflineOptions = {}): Promise<RooflineProbe> {
    const bytes = rooflineBytes(ctx, opts.bytes);
    const { buffer, checksum } = nonZeroBuffer(ctx, bytes);
    const timer = new GpuTimer(ctx, { wallClock: opts.wallClock });
    const probes: RooflineProbe['probes'] = [];
    for (const pattern of opts.patterns ?? defaultReadPatterns()) {
      const kernel = new ReadBandwidthKernel(ctx, pattern);
      const bound = kernel.bind(buffer, bytes);
      const reps = await calibrateReps(timer, (p) => kernel.encode(p, bound), opts.minMs ?? 30, 64);
      probes.push({ name: describePattern(kernel.pattern), kernel, bound, reps, best: Infinity });
    }
    return new RooflineProbe(ctx, buffer, checksum, bytes, timer, probes);
  }

  get clock(): 'timestamp' | 'wall' { return this.timer.clock; }

  async round(): Promise<void> {
    for (const pr of this.probes) pr.best = Math.min(pr.best, await this.timer.time((p) => pr.kernel.encode(p, pr.bound), pr.reps));
  }

  async result(): Promise<RooflineResult> {
    const ctx = this.ctx;
    for (const pr of this.probes) {
      const parts = new Uint32Array(await readBuffer(ctx, pr.bound.partials, pr.bound.workgroups * 4));
      let s = 0;
      for (const v of parts) s = (s + v) >>> 0;
      if (s !== this.checksum) throw new AppError('INTERNAL', `The read-bandwidth probe "${pr.name}" summed ${s}, expected ${this.checksum}: this GPU's driver computes wrong results. Report the adapter (${ctx.adapterName}).`);
    }
    if (ctx.firstError) throw new AppError('INTERNAL', `GPU error while measuring the roofline: ${ctx.firstError.message.split('\n')[0]}`);
    const patterns = this.probes.map((p) => ({ pattern: p.name, gbps: this.bytes / (p.best / 1000) / 1e9 })).sort((a, b) => b.gbps - a.gbps);
    return { gbps: patterns[0].gbps, best: patterns[0].pattern, bytes: this.bytes, clock: this.timer.clock, patterns };
  }

  destroy(): void {
    for (const p of this.probes) { p.bound.partials.destroy(); p.bound.params.destroy(); }
    this.timer.destroy();
    this.buffer.destroy();
  }
}

export async function measureRoofline(ctx: GpuContext, opts: RooflineOptions = {}): Promise<RooflineResult> {
  const probe = await RooflineProbe.create(ctx, opts);
  try {
    for (let r = 0; r < (opts.rounds ?? 3); r++) await probe.round();
    return await probe.result();
  } finally {
    probe.destroy();
  }
}

/** The roofline in GB/s (measureRoofline's best pattern). */
export async function measureReadBandwidth(ctx: GpuContext, bytes = ROOFLINE_BYTES): Promise<number> {
  return (await measureRoofline(ctx, { bytes })).gbps;
}
