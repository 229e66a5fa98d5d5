// Typed client for the PDF worker: the same extractPdf contract as src/pdf/extract.ts, run off the main thread.
//
//   const pdf = new PdfClient(createPdfWorker());
//   const result = await pdf.extract(bytes, { signal, onProgress, onPage, password });
//
// Errors reject as AppError (PASSWORD_REQUIRED → ask for a password and call extract again with it). A worker
// that fails to start or dies ('error' / 'messageerror' on the endpoint) fails every extraction waiting on it, and
// every later one at once, with WORKER_FAILED: `failed` says so, and the owner starts a new worker and client.
// So does a worker that is alive but stuck (a PDF that sends the parser round in circles): no answer to the
// heartbeat's pings for 30 s while an extraction waits (src/shared/heartbeat.ts; `details.reason: 'unresponsive'`).
import { AppError } from '../shared/errors';
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from '../shared/heartbeat';
import type { ExtractOptions, ExtractResult } from './types';
import type { MessageEndpoint, PdfWorkerRequest, PdfWorkerResponse } from './worker-protocol';

/** Starts the PDF extraction worker (browser; bundled by Vite as a module worker). */
export function createPdfWorker(): Worker {
  return new Worker(new URL('./pdf-worker.ts', import.meta.url), { type: 'module', name: 'pdf-extract' });
}

/** The failure events a Worker (and a MessagePort) fires besides 'message'. */
interface FailureEvents {
  addEventListener(type: 'error' | 'messageerror', listener: (ev: Event) => void): void;
  removeEventListener(type: 'error' | 'messageerror', listener: (ev: Event) => void): void;
}

/** What an extraction rejects with once the worker has failed to start or has stopped unexpectedly. */
function workerFailed(ev: Event): AppError {
  const reason = (ev as Partial<ErrorEvent>).message;
  return new AppError('WORKER_FAILED', 'The PDF reader stopped unexpectedly. Remove this document and add the PDF again.', { event: ev.type, ...(reason ? { reason } : {}) });
}

/** What an extraction rejects with once the worker has been silent for `silentMs` while it waited (stuck). */
function workerUnresponsive(silentMs: number): AppError {
  return new AppError('WORKER_FAILED', `The PDF reader stopped responding (nothing from it for ${Math.round(silentMs / 1000)} s; the PDF may be damaged in a way that keeps it busy). Remove this document and add the PDF again; if it happens again, the PDF cannot be read here.`, {
    reason: 'unresponsive',
    silentMs,
  });
}

interface Pending {
  opts: ExtractOptions;
  resolve: (r: ExtractResult) => void;
  reject: (e: AppError) => void;
  cleanup: () => void;
}

export class PdfClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly onMessage = (ev: MessageEvent) => this.handle(ev.data as PdfWorkerResponse);
  private readonly onWorkerFailed = (ev: Event) => this.fail(workerFailed(ev));
  private failure: AppError | null = null;
  private readonly heartbeat: Heartbeat;

  /**
   * `endpoint` is a Worker or a MessagePort: both also fire the failure events listened to here. `heartbeat`: how
   * often the worker is pinged while extractions wait, and how long it may stay silent.
   */
  constructor(private readonly endpoint: MessageEndpoint, opts: { heartbeat?: HeartbeatOptions } = {}) {
    this.heartbeat = new Heartbeat(
      () => this.post({ type: 'ping', id: this.nextId++ }),
      (silentMs) => this.fail(workerUnresponsive(silentMs)),
      opts.heartbeat ?? DEFAULT_HEARTBEAT,
    );
    endpoint.addEventListener('message', this.onMessage);
    this.failureEvents.addEventListener('error', this.onWorkerFailed);
    this.failureEvents.addEventListener('messageerror', this.onWorkerFailed);
  }

  private get failureEvents(): FailureEvents {
    return this.endpoint as unknown as FailureEvents;
  }

  /** The error every extraction rejects with once the worker has failed (null while it works). */
  get failed(): AppError | null {
    return this.failure;
  }

  /** Called once when the worker fails to start or stops unexpectedly. */
  onFailure: ((error: AppError) => void) | null = null;

  private fail(error: AppError): void {
    if (this.failure) return;
    this.failure = error;
    this.heartbeat.end();
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
    this.onFailure?.(error);
  }

  /**
   * Extracts a PDF in the worker. `data` is copied before it is sent, so the caller's bytes stay usable.
   * Aborting `opts.signal` cancels the work in the worker and rejects with ABORTED.
   */
  extract(data: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (opts.signal?.aborted) return Promise.reject(new AppError('ABORTED', 'PDF extraction was cancelled.'));
    const id = this.nextId++;
    return new Promise<ExtractResult>((resolve, reject) => {
      const onAbort = () => {
        this.post({ type: 'cancel', id });
        this.settle(id)?.reject(new AppError('ABORTED', 'PDF extraction was cancelled.'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { opts, resolve, reject, cleanup: () => opts.signal?.removeEventListener('abort', onAbort) });
      const copy = data.slice();
      this.post({ type: 'extract', id, data: copy, ...(opts.password !== undefined ? { password: opts.password } : {}) }, [copy.buffer]);
      this.heartbeat.watch();
    });
  }

  /** Stops listening; pending extractions reject with ABORTED. Does not terminate the worker. */
  dispose(): void {
    this.heartbeat.end();
    this.endpoint.removeEventListener('message', this.onMessage);
    this.failureEvents.removeEventListener('error', this.onWorkerFailed);
    this.failureEvents.removeEventListener('messageerror', this.onWorkerFailed);
    for (const id of [...this.pending.keys()]) {
      this.post({ type: 'cancel', id });
      this.settle(id)?.reject(new AppError('ABORTED', 'PDF extraction was cancelled.'));
    }
  }

  private post(msg: PdfWorkerRequest, transfer: Transferable[] = []): void {
    if (this.failure) return; // nobody is listening any more
    this.endpoint.postMessage(msg, transfer);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (this.pending.size === 0) this.heartbeat.idle();
    p.cleanup();
    return p;
  }

  private handle(msg: PdfWorkerResponse): void {
    this.heartbeat.heard();
    if (msg.type === 'pong') return;
    const p = this.pending.get(msg.id);
    if (!p) return; // cancelled or unknown: late messages are ignored
    switch (msg.type) {
      case 'page':
        p.opts.onPage?.(msg.page);
        break;
      case 'progress':
        p.opts.onProgress?.({ page: msg.page, pageCount: msg.pageCount });
        break;
      case 'done':
        this.settle(msg.id)?.resolve(msg.result);
        break;
      case 'error':
        this.settle(msg.id)?.reject(AppError.fromJSON(msg.error));
        break;
    }
  }
}
