// A request's guard against a network that goes silent: fetch() and reading a body have no timeout of their own.
import { AppError } from '../shared/errors';

/**
 * One request's guard against a silent connection (download.ts: each wait for headers or bytes of a model file;
 * hub.ts withHubDeadline: a small metadata request as a whole). fetch() and reader.read() have no timeout of their own: a
 * connection that stops sending without closing leaves them pending forever, so no retry and no error would
 * ever come. `wait(p)` times one wait on the network (the headers, one body read) — only that, so a slow
 * storage write between reads is never taken for a stall; when nothing came within `ms`, the request is
 * aborted and the wait rejects with `stall`. `signal` (pass it to fetch) also follows the caller's cancel
 * signal, so Cancel still aborts the request; tell the two apart with `stall` (set only by the timer).
 */
export class StallGuard {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The error the timer aborted the request with; undefined while it has not fired. */
  stall: AppError | undefined;
  private readonly onCancel = () => this.controller.abort(this.cancel?.reason);

  constructor(
    private readonly ms: number,
    /** The error the wait rejects with; made when the timer fires, so it can tell how much had arrived by then. */
    private readonly stallError: () => AppError,
    private readonly cancel?: AbortSignal,
  ) {
    if (cancel?.aborted) this.onCancel();
    else cancel?.addEventListener('abort', this.onCancel, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * `p`, or a rejection once the request is aborted (by the timer or a cancel) while it is pending: whether
   * the aborted fetch rejects a pending read is left to the implementation, so this does not count on it.
   */
  async wait<T>(p: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.stall ?? new AppError('ABORTED', 'The download was cancelled.'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    this.timer = setTimeout(() => {
      this.stall = this.stallError();
      this.controller.abort(this.stall);
    }, this.ms);
    try {
      return await Promise.race([p, aborted]);
    } finally {
      clearTimeout(this.timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops following the cancel signal (call when the request is over). */
  dispose(): void {
    clearTimeout(this.timer);
    this.cancel?.removeEventListener('abort', this.onCancel);
  }
}
