// Per-pass GPU timing with timestamp queries (feature 'timestamp-query'; absent → create() returns null).
// Usage: const prof = GpuProfiler.create(ctx); enc.beginComputePass(prof.pass('attention')) ... ;
// prof.resolve(enc); submit; const rows = await prof.read(); prof.reset().
// Each profiled pass costs two timestamps; keep one pass per kernel you want to see in the table.
import { createBuffer, type GpuContext } from './context';

export interface ProfileRow {
  label: string;
  ms: number;
}

export class GpuProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  private labels: string[] = [];

  private constructor(private readonly ctx: GpuContext, private readonly capacity: number) {
    this.querySet = ctx.device.createQuerySet({ type: 'timestamp', count: capacity * 2 });
    this.resolveBuf = createBuffer(ctx, capacity * 16, 0x200 | 0x04, 'profiler.resolve'); // QUERY_RESOLVE | COPY_SRC
    this.readBuf = createBuffer(ctx, capacity * 16, 0x01 | 0x08, 'profiler.read'); // MAP_READ | COPY_DST
  }

  /** null when the device has no timestamp-query feature. `capacity` = passes per read. */
  static create(ctx: GpuContext, capacity = 256): GpuProfiler | null {
    if (!ctx.device.features.has('timestamp-query')) return null;
    return new GpuProfiler(ctx, capacity);
  }

  /** A compute-pass descriptor that records begin/end timestamps under `label` (untimed once full). */
  pass(label: string): GPUComputePassDescriptor {
    if (this.labels.length >= this.capacity) return { label };
    const i = this.labels.length;
    this.labels.push(label);
    return { label, timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  /** Encodes the query resolve; call once after the profiled passes, before finish(). */
  resolve(enc: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, n * 16);
  }

  /** Milliseconds per recorded pass (after the submit that contains resolve()). */
  async read(): Promise<ProfileRow[]> {
    const n = this.labels.length;
    if (n === 0) return [];
    await this.readBuf.mapAsync(1, 0, n * 16);
    const t = new BigUint64Array(this.readBuf.getMappedRange(0, n * 16).slice(0));
    this.readBuf.unmap();
    return this.labels.map((label, i) => ({ label, ms: t[2 * i + 1] > t[2 * i] ? Number(t[2 * i + 1] - t[2 * i]) / 1e6 : 0 }));
  }

  reset(): void {
    this.labels = [];
  }

  /** Sums rows by label, largest first: where a token's time goes. */
  static table(rows: ProfileRow[]): { label: string; ms: number; count: number; share: number }[] {
    const by = new Map<string, { ms: number; count: number }>();
    for (const r of rows) {
      const e = by.get(r.label) ?? { ms: 0, count: 0 };
      e.ms += r.ms;
      e.count++;
      by.set(r.label, e);
    }
    const total = rows.reduce((s, r) => s + r.ms, 0) || 1;
    return [...by].map(([label, e]) => ({ label, ms: e.ms, count: e.count, share: e.ms / total })).sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
  }
}
