// Tells a worker that is alive but stuck (its thread in a loop that never yields: a PDF that sends the parser
// round in circles, a runaway computation) from one that is merely slow. 'error' events only report a worker that
// crashed; a stuck one answers nothing and fires nothing, and a call waiting on it would wait for ever.
//
// While calls wait on the worker, the owner pings it every `intervalMs`; the worker answers from its event loop,
// which is free between any two steps of real work (every GPU read-back, file read and page of a PDF is awaited).
// Any message from the worker counts as an answer. A ping left unanswered for `timeoutMs` means the worker's
// thread has not reached its event loop for that long: `onSilent` is called once, and the owner ends the worker.
//
// A tick that comes late (a background tab's timers are throttled to one a minute; this thread itself was busy) is
// no evidence against the worker, whose answer may be waiting behind it: the ping is sent again and the
// worker gets a fresh `timeoutMs`, measured from then.

export interface HeartbeatOptions {
  /** How often a ping is sent while calls wait (ms). */
  intervalMs: number;
  /** How long a ping may go unanswered before the worker is taken for stuck (ms). */
  timeoutMs: number;
}

/** 5 s between pings; a worker that has not reached its event loop for 30 s is stuck. */
export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 5_000, timeoutMs: 30_000 };

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  /** When the unanswered ping was sent (null: none outstanding). */
  private outstanding: number | null = null;
  private lastTick = 0;
  private ended = false;

  constructor(
    private readonly ping: () => void,
    private readonly onSilent: (silentMs: number) => void,
    private readonly opts: HeartbeatOptions = DEFAULT_HEARTBEAT,
  ) {}

  /** Starts pinging (when the first call begins to wait on the worker); a no-op while it already does. */
  watch(): void {
    if (this.timer || this.ended) return;
    this.lastTick = Date.now();
    this.send(this.lastTick);
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    // (Node: a waiting call, not the heartbeat, is what keeps the process alive.)
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops pinging (no call waits any more). */
  idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.outstanding = null;
  }

  /** The worker was heard from (any message). */
  heard(): void {
    this.outstanding = null;
  }

  /** For good (the worker is gone). */
  end(): void {
    this.ended = true;
    this.idle();
  }

  private send(now: number): void {
    this.outstanding = now;
    this.ping();
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > 3 * this.opts.intervalMs;
    this.lastTick = now;
    if (this.outstanding === null || late) {
      this.send(now);
      return;
    }
    const silent = now - this.outstanding;
    if (silent >= this.opts.timeoutMs) {
      this.end();
      this.onSilent(silent);
    }
  }
}
