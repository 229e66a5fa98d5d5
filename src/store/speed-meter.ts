// Download speed and time left from (time, bytes fetched) samples over a sliding window. Time comes from an
// injectable clock (milliseconds), so callers and tests control it; the default is performance.now.

export type Clock = () => number;

export const defaultClock: Clock = () => performance.now();

export class SpeedMeter {
  private samples: [number, number][] = [];

  /**
   * `windowMs`: samples older than this (relative to the newest) are dropped, keeping at least two.
   * `minSpanMs`: below this time span between the oldest and newest sample the speed is unknown (0).
   */
  constructor(
    private readonly clock: Clock = defaultClock,
    private readonly windowMs = 5000,
    private readonly minSpanMs = 50,
  ) {}

  /** Records that `bytes` have been fetched in total so far, at the clock's current time. */
  add(bytes: number): void {
    const now = this.clock();
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0][0] > this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window; 0 while fewer than two samples or less than minSpanMs apart. */
  bytesPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 - t0 >= this.minSpanMs ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  /** Seconds until `remainingBytes` are fetched at the current speed; null while the speed is unknown. */
  secondsLeft(remainingBytes: number): number | null {
    const bps = this.bytesPerSecond();
    return bps > 0 ? Math.max(0, remainingBytes) / bps : null;
  }
}
