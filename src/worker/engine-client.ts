// App side: an Engine whose work runs in a worker (or anything speaking the protocol over a MessageEndpoint).
// load() serves the worker's file requests from the given ModelFiles; AbortSignals become abort requests.
// A worker that fails to start or dies ('error' / 'messageerror' on the endpoint) fails every call waiting on it,
// and every later one at once, with WORKER_FAILED; onFailure tells the owner (who should start a new engine).
// A call that fails with DEVICE_LOST (the worker's GPU device went away: src/model/device-loss.ts) ends the
// engine the same way: its model is gone with the device, and a fresh worker gets a fresh device.
// A worker that is alive but stuck (no answer to the heartbeat's pings for 30 s while calls wait on it:
// src/shared/heartbeat.ts) ends the same way too, with WORKER_FAILED (`details.reason: 'unresponsive'`).
import type { ChatMessage, Engine, GenerateOptions, GeneratedToken, GenerationStats, LoadOptions, ModelInfo } from '../model/engine-types';
import type { ModelFiles } from '../model/files';
import { AppError } from '../shared/errors';
import type { EngineEvent, EngineRequest, FailureEndpoint, MessageEndpoint, WireInput } from './protocol';
import { toWireError } from './engine-host';
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from '../shared/heartbeat';

interface Pending {
  onEvent(ev: EngineEvent): void;
  /** Rejects the call (the worker failed or was stopped). */
  fail(e: AppError): void;
}

/** What a call rejects with once the worker has been silent for `silentMs` while calls waited on it (stuck). */
function workerUnresponsive(silentMs: number): AppError {
  return new AppError('WORKER_FAILED', `The model engine stopped responding (nothing from it for ${Math.round(silentMs / 1000)} s), so it was stopped. Load the model again (reload the page if it keeps happening).`, {
    reason: 'unresponsive',
    silentMs,
  });
}

/** What a call rejects with once the worker has failed to start or has stopped unexpectedly. */
function workerFailed(ev: Event): AppError {
  const reason = (ev as Partial<ErrorEvent>).message;
  return new AppError('WORKER_FAILED', 'The model engine stopped unexpectedly. Load the model again (reload the page if it keeps happening).', {
    event: ev.type,
    ...(reason ? { reason } : {}),
  });
}

export class WorkerEngine implements Engine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private files: ModelFiles | null = null;
  private stats: GenerationStats | null = null;
  /** Set once the worker has failed or been terminated: every call rejects with it at once. */
  private closed: AppError | null = null;
  private readonly heartbeat: Heartbeat;

  /** `heartbeat`: how often the worker is pinged while calls wait, and how long it may stay silent. */
  constructor(
    private readonly endpoint: MessageEndpoint & FailureEndpoint & { terminate?(): void },
    opts: { heartbeat?: HeartbeatOptions } = {},
  ) {
    const beat = opts.heartbeat ?? DEFAULT_HEARTBEAT;
    this.heartbeat = new Heartbeat(
      () => this.send({ type: 'ping', id: this.nextId++ }),
      (silentMs) => this.fail(workerUnresponsive(silentMs)),
      beat,
    );
    endpoint.addEventListener('message', (ev: MessageEvent) => this.onMessage(ev.data as EngineEvent));
    endpoint.addEventListener('error', (ev: Event) => this.onWorkerFailed(ev));
    endpoint.addEventListener('messageerror', (ev: Event) => this.onWorkerFailed(ev));
  }

  /** Called once when the worker fails to start, stops unexpectedly or loses its GPU device (the engine is unusable from then on). */
  onFailure: ((error: AppError) => void) | null = null;

  private onWorkerFailed(ev: Event): void {
    this.fail(workerFailed(ev));
  }

  /** The engine is unusable (worker failed, or its device was lost): stop the worker and tell the owner once. */
  private fail(error: AppError): void {
    if (this.closed) return;
    // The worker's state is unknown (a reply may have been lost): it is stopped, so it holds no GPU memory.
    this.close(error);
    this.onFailure?.(error);
  }

  /** Ends the worker for good: calls waiting on it, and all later ones, reject with `error`. */
  private close(error: AppError): void {
    this.closed = error;
    this.heartbeat.end();
    this.endpoint.terminate?.();
    for (const p of [...this.pending.values()]) p.fail(error);
    this.pending.clear();
  }

  private send(req: EngineRequest, transfer?: Transferable[]): void {
    if (this.closed) return; // nobody is listening any more
    this.endpoint.postMessage(req, transfer);
  }

  private onMessage(ev: EngineEvent): void {
    this.heartbeat.heard();
    if (ev.type === 'pong') return;
    if (ev.type === 'fileRequest') {
      void this.serveFile(ev);
      return;
    }
    this.pending.get(ev.id)?.onEvent(ev);
  }

  private async serveFile(ev: Extract<EngineEvent, { type: 'fileRequest' }>): Promise<void> {
    try {
      if (!this.files) throw new AppError('NOT_LOADED', 'No model files are being loaded.');
      if (ev.op === 'list') this.send({ type: 'fileReply', reqId: ev.reqId, ok: true, value: await this.files.list() });
      else if (ev.op === 'size') this.send({ type: 'fileReply', reqId: ev.reqId, ok: true, value: await this.files.size(ev.name) });
      else {
        const bytes = await this.files.read(ev.name, ev.start, ev.end);
        // Transfer (not copy) whole buffers; views into larger buffers are copied first.
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
        this.send({ type: 'fileReply', reqId: ev.reqId, ok: true, value: own }, [own.buffer as ArrayBuffer]);
      }
    } catch (e) {
      this.send({ type: 'fileReply', reqId: ev.reqId, ok: false, error: toWireError(e) });
    }
  }

  /** Sends a request and resolves with its 'done' value; forwards other events to onEvent. */
  private call<T>(make: (id: number) => EngineRequest, signal?: AbortSignal, onEvent?: (ev: EngineEvent) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.send({ type: 'abort', id });
      const finish = () => {
        this.pending.delete(id);
        if (this.pending.size === 0) this.heartbeat.idle();
        signal?.removeEventListener('abort', onAbort);
      };
      if (this.closed) {
        reject(this.closed);
        return;
      }
      this.pending.set(id, {
        onEvent: (ev) => {
          if (ev.type === 'done') {
            finish();
            resolve(ev as T);
          } else if (ev.type === 'error') {
            finish();
            const err = AppError.fromJSON(ev.error);
            reject(err);
            if (err.code === 'DEVICE_LOST') this.fail(err);
          } else onEvent?.(ev);
        },
        fail: (e) => {
          finish();
          reject(e);
        },
      });
      if (signal?.aborted) {
        this.pending.delete(id);
        reject(new AppError('ABORTED', 'The operation was cancelled.'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send(make(id));
      this.heartbeat.watch();
    });
  }

  async load(source: ModelFiles, opts: LoadOptions = {}): Promise<ModelInfo> {
    this.files = source;
    const { signal, onProgress, ...wire } = opts;
    const done = await this.call<{ value: ModelInfo }>((id) => ({ type: 'load', id, opts: wire }), signal, (ev) => {
      if (ev.type === 'progress') onProgress?.(ev.progress);
    });
    return done.value;
  }

  generate(input: string | ChatMessage[], opts: GenerateOptions = {}): AsyncIterable<GeneratedToken> {
    const { signal, ...wire } = opts;
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        const buffered: GeneratedToken[] = [];
        let wake: (() => void) | null = null;
        let finished = false;
        let failure: unknown = null;
        self.stats = null;
        // Our own controller: the caller's signal, or leaving the loop early (return()), stops the worker.
        const ac = new AbortController();
        if (signal?.aborted) ac.abort();
        else signal?.addEventListener('abort', () => ac.abort(), { once: true });
        self
          .call<{ stats?: GenerationStats | null }>((id) => ({ type: 'generate', id, input: input as WireInput, opts: wire }), ac.signal, (ev) => {
            if (ev.type === 'token') {
              buffered.push(ev.token);
              wake?.();
            }
          })
          .then(
            (done) => {
              self.stats = done.stats ?? null;
              if (self.stats) self.onStats?.(self.stats);
              finished = true;
              wake?.();
            },
            (e) => {
              failure = e;
              finished = true;
              wake?.();
            },
          );
        return {
          async next(): Promise<IteratorResult<GeneratedToken>> {
            while (buffered.length === 0 && !finished) await new Promise<void>((r) => (wake = r));
            wake = null;
            if (buffered.length > 0) return { value: buffered.shift()!, done: false };
            if (failure) throw failure;
            return { value: undefined, done: true };
          },
          async return(): Promise<IteratorResult<GeneratedToken>> {
            if (!finished) ac.abort();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  async countTokens(input: string | ChatMessage[]): Promise<number> {
    const done = await this.call<{ value: number }>((id) => ({ type: 'countTokens', id, input }));
    return done.value;
  }

  /** Called with each finished generation's stats (prefill/decode speed, reused tokens), e.g. for the model panel. */
  onStats: ((stats: GenerationStats) => void) | null = null;

  lastStats(): GenerationStats | null {
    return this.stats;
  }

  async unload(): Promise<void> {
    await this.call((id) => ({ type: 'unload', id }));
    this.files = null;
  }

  /**
   * Stops the worker at once (whatever it is doing; the GPU device goes with it); every call still waiting on it,
   * and every later one, rejects with ABORTED.
   */
  terminate(): void {
    if (this.closed) return;
    this.close(new AppError('ABORTED', 'The model engine was stopped.'));
  }
}
