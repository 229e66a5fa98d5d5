// SpeedMeter with a clock the test controls: exact speed and time-left values, whatever the machine's speed.
import { describe, expect, it } from 'vitest';
import { SpeedMeter } from '../../src/store/speed-meter';

function manualClock(start = 1000) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

describe('SpeedMeter', () => {
  it('is unknown (0 B/s, no time left) until two samples lie at least minSpanMs apart', () => {
    const t = manualClock();
    const m = new SpeedMeter(t.clock, 5000, 50);
    expect(m.bytesPerSecond()).toBe(0);
    m.add(0);
    expect(m.bytesPerSecond()).toBe(0);
    t.advance(49);
    m.add(1_000);
    expect(m.bytesPerSecond()).toBe(0);
    expect(m.secondsLeft(10_000)).toBeNull();
    t.advance(1);
    m.add(2_000);
    expect(m.bytesPerSecond()).toBe(40_000); // 2000 B in 50 ms
    expect(m.secondsLeft(10_000)).toBe(0.25);
    expect(m.secondsLeft(-5)).toBe(0);
  });

  it('measures over a sliding window: old samples stop counting', () => {
    const t = manualClock();
    const m = new SpeedMeter(t.clock, 5000, 50);
    m.add(0);
    t.advance(1000);
    m.add(10_000_000); // a burst: 10 MB in the first second
    for (let i = 0; i < 10; i++) {
      t.advance(1000);
      m.add(10_000_000 + (i + 1) * 1_000_000); // then 1 MB/s
    }
    // Window: the newest sample at 11 s and the oldest within 5 s of it (6 s): 5 MB in 5 s.
    expect(m.bytesPerSecond()).toBe(1_000_000);
    expect(m.secondsLeft(3_000_000)).toBe(3);
  });

  it('keeps two samples even when they are further apart than the window', () => {
    const t = manualClock();
    const m = new SpeedMeter(t.clock, 5000, 50);
    m.add(0);
    t.advance(20_000);
    m.add(1_000_000);
    expect(m.bytesPerSecond()).toBe(50_000);
  });
});
