// Worker side: serves an Engine over a MessageEndpoint. One load and one generation at a time (the GPU
// queue is shared); requests that arrive meanwhile wait in order.
import type { Engine } from '../model/engine-types';
import type { ModelFiles } from '../model/files';
import { AppError } from '../shared/errors';
import type { EngineEvent, EngineRequest, MessageEndpoint, WireError } from './protocol';

export function toWireError(e: unknown): WireError {
  return AppError.from(e).toJSON();
}

export function serveEngine(endpoint: MessageEndpoint, createEngine: () => Engine | Promise<Engine>): void {
  let engine: Engine | null = null;
  const aborts = new Map<number, AbortController>();
  const fileWaiters = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextFileReq = 1;
  let queue: Promise<unknown> = Promise.resolve();

  const post = (ev: EngineEvent, transfer?: Transferable[]) => endpoint.postMessage(ev, transfer);
  type FileRequest = Extract<EngineEvent, { type: 'fileRequest' }>;
  type FileAsk = FileRequest extends infer R ? (R extends FileRequest ? Omit<R, 'reqId' | 'type'> : never) : never;
  const askFile = <T>(req: FileAsk): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const reqId = nextFileReq++;
      fileWaiters.set(reqId, { resolve: resolve as (v: unknown) => void, reject });
      post({ type: 'fileRequest', reqId, ...req } as EngineEvent);
    });
  const remoteFiles: ModelFiles = {
    list: () => askFile<string[]>({ op: 'list' }),
    size: (name) => askFile<number>({ op: 'size', name }),
    read: (name, start, end) => askFile<Uint8Array>({ op: 'read', name, start, end }),
  };
  const getEngine = async () => (engine ??= await createEngine());

  const run = (id: number, work: (signal: AbortSignal) => Promise<void>) => {
    const ac = new AbortController();
    aborts.set(id, ac);
    queue = queue.then(async () => {
      try {
        if (ac.signal.aborted) throw new AppError('ABORTED', 'The operation was cancelled.');
        await work(ac.signal);
      } catch (e) {
        post({ type: 'error', id, error: toWireError(e) });
      } finally {
        aborts.delete(id);
      }
    });
  };

  endpoint.addEventListener('message', (ev: MessageEvent) => {
    const msg = ev.data as EngineRequest;
    switch (msg.type) {
      case 'fileReply': {
        const w = fileWaiters.get(msg.reqId);
        fileWaiters.delete(msg.reqId);
        if (!w) return;
        if (msg.ok) w.resolve(msg.value);
        else w.reject(AppError.fromJSON(msg.error));
        return;
      }
      case 'abort':
        aborts.get(msg.id)?.abort();
        return;
      case 'ping':
        post({ type: 'pong', id: msg.id });
        return;
      case 'load':
        run(msg.id, async (signal) => {
          const e = await getEngine();
          const info = await e.load(remoteFiles, { ...msg.opts, signal, onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }) });
          post({ type: 'done', id: msg.id, value: info });
        });
        return;
      case 'generate':
        run(msg.id, async (signal) => {
          const e = await getEngine();
          for await (const token of e.generate(msg.input, { ...msg.opts, signal })) post({ type: 'token', id: msg.id, token });
          post({ type: 'done', id: msg.id, stats: e.lastStats() });
        });
        return;
      case 'countTokens':
        run(msg.id, async () => {
          const e = await getEngine();
          post({ type: 'done', id: msg.id, value: await e.countTokens(msg.input) });
        });
        return;
      case 'unload':
        run(msg.id, async () => {
          if (engine) await engine.unload();
          post({ type: 'done', id: msg.id });
        });
        return;
    }
  });
}
