// The embedder worker failing: a real worker thread runs the real embedder host (tests/unit/workers/embedder-worker.ts)
// and the app's provider (WorkerEmbedderProvider) talks to it. A worker stuck in a loop fires no 'error' event:
// without the heartbeat every search would wait on it for ever. Once it failed, search and indexing go on by
// keywords at once, saying why, and no document is lost.
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerEmbedderProvider, type EmbedderEndpoint } from '../../src/retrieval/worker-embedder';
import { ENGLISH_EMBEDDING_MODEL } from '../../src/retrieval/embedder';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';

const BEAT = { intervalMs: 100, timeoutMs: 2_500 };
const MODEL = ENGLISH_EMBEDDING_MODEL;
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** Starts a real worker thread serving the embedder host; its port, with terminate() and the thread's 'error' events, is the endpoint. */
function startWorker(waitMs = 0, stuckOn = 'STUCK'): EmbedderEndpoint {
  const { port1, port2 } = new MessageChannel();
  const script = new URL('./workers/embedder-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: { port: port2, waitMs, stuckOn }, transferList: [port2] });
  workers.push(worker);
  const errorListeners: ((ev: Event) => void)[] = [];
  worker.on('error', (e) => {
    const ev = Object.assign(new Event('error'), { message: e.message });
    for (const l of errorListeners) l(ev);
  });
  port1.start();
  return {
    postMessage: (m: unknown, transfer?: Transferable[]) => port1.postMessage(m, transfer as never),
    addEventListener: (type: string, l: (ev: never) => void) => {
      if (type === 'message') port1.addEventListener('message', l as never);
      else if (type === 'error') errorListeners.push(l as (ev: Event) => void);
    },
    removeEventListener: (type: string, l: (ev: never) => void) => {
      if (type === 'message') port1.removeEventListener('message', l as never);
    },
    terminate: () => {
      port1.close();
      void worker.terminate();
    },
  } as EmbedderEndpoint;
}

function provider(waitMs = 0, stuckOn = 'STUCK') {
  const started: EmbedderEndpoint[] = [];
  const p = new WorkerEmbedderProvider(
    { allowDownload: false, appBase: 'http://localhost/' },
    { heartbeat: BEAT, createWorker: () => (started.push(startWorker(waitMs, stuckOn)), started[started.length - 1]) },
  );
  return { provider: p, started };
}

async function embedder(p: WorkerEmbedderProvider) {
  const got = await p.get(MODEL);
  if (!got.embedder) throw new Error(`the test model did not load: ${got.reason}`);
  return got.embedder;
}

const page = (page: number, text: string) => ({ page, label: String(page), text });

describe('embedder worker failures', () => {
  it('a worker stuck inside an embedding rejects it with WORKER_FAILED (unresponsive); later calls are told at once; configure() starts a fresh one', async () => {
    const { provider: p, started } = provider();
    const told: string[] = [];
    p.onFailure = (err) => told.push(err.code);
    const e = await embedder(p);
    expect((await e.embedPassages(['the glacier moved']))[0]).toHaveLength(64);
    await expect(e.embedPassages(['STUCK here'])).rejects.toMatchObject({ code: 'WORKER_FAILED', details: { reason: 'unresponsive' } });
    expect(p.failed?.message).toMatch(/stopped responding .* Search goes on by keywords; reload the page/);
    const t0 = Date.now();
    const again = await p.get(MODEL);
    expect(again.embedder).toBeNull();
    expect(again.embedder === null && again.reason).toMatch(/stopped responding/);
    await expect(e.embedQueries(['anything'])).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    expect(Date.now() - t0).toBeLessThan(BEAT.timeoutMs); // nothing waited on the stuck worker again
    expect(started).toHaveLength(1);
    expect(told).toEqual(['WORKER_FAILED']); // the owner is told once (the app's search-mode line)
    p.configure({ allowDownload: false, appBase: 'http://localhost/' });
    expect((await (await embedder(p)).embedQueries(['the glacier']))[0]).toHaveLength(64);
    expect(started).toHaveLength(2);
  });

  it('a worker that is slow but alive (silent for longer than the timeout, its event loop free) is never taken for stuck', async () => {
    const { provider: p } = provider(2 * BEAT.timeoutMs);
    const e = await embedder(p);
    const [v] = await e.embedPassages(['SLOW but fine']);
    expect(v).toHaveLength(64);
    expect(p.failed).toBeNull();
  });

  it('a worker that dies (its error event) rejects the waiting call with WORKER_FAILED saying what happened', async () => {
    const { provider: p } = provider(2 * BEAT.timeoutMs);
    const e = await embedder(p);
    await expect(e.embedPassages(['CRASH and SLOW'])).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    expect(p.failed?.message).toMatch(/stopped unexpectedly \(.*out of memory \(test\)\)/);
  });

  it('the library keeps a document whose embedding got stuck, searched by keywords and saying why; a question asked while the embedder is stuck is answered by keywords', async () => {
    const { provider: p } = provider();
    const lib = new DocumentLibrary({ store: new MemoryStore(), embedders: p });
    const first = await lib.add('a', 'glaciers.pdf', [page(1, 'The glacier moved eleven metres in one winter, the survey says.')]);
    expect(first.embeddingModel).toBe(MODEL);
    // The question's embedding gets the worker stuck: after the heartbeat's timeout the answer comes by keywords.
    const res = await lib.search('STUCK: how far did the glacier move?');
    expect(res.results[0]).toMatchObject({ docId: 'a', page: 1 });
    expect(res.mode).toBe('lexical');
    expect(res.reason).toMatch(/embedding the question failed: The embedding model stopped responding/);
    // The next document: the failed worker is not waited on; kept, keyword-only, saying why.
    const t0 = Date.now();
    const second = await lib.add('b', 'lighthouse.pdf', [page(1, 'The lighthouse keeper logged the wind every evening.')]);
    expect(Date.now() - t0).toBeLessThan(BEAT.timeoutMs);
    expect(second.embeddingModel).toBeNull();
    expect(second.lexicalOnlyReason).toMatch(/stopped responding/);
    expect((await lib.search('who logged the wind?')).results[0]).toMatchObject({ docId: 'b', page: 1 });
  });

  it('a document whose embedding fails midway is kept keyword-only (not lost) and gets its vectors later from its stored chunks', async () => {
    const { provider: p } = provider();
    const store = new MemoryStore();
    const lib = new DocumentLibrary({ store, embedders: p });
    await embedder(p); // loaded: the failure comes inside the document's embedding, not at get()
    const out = await lib.add('c', 'stuck.pdf', [page(1, 'Ordinary words about rivers.'), page(2, 'STUCK words about deltas and their silt.')], { onKeywordIndexed: () => undefined });
    expect(out.embeddingModel).toBeNull();
    expect(out.lexicalOnlyReason).toMatch(/^embedding failed: The embedding model stopped responding/);
    expect((await lib.search('silt of deltas')).results[0]).toMatchObject({ docId: 'c', page: 2 });
    // After a reload (a fresh library over the same store) with an embedder that works, it is there and gets its vectors.
    const reopened = await DocumentLibrary.open({ store, embedders: provider(0, 'NOTHING').provider });
    expect(reopened.has('c')).toBe(true);
    expect(await reopened.embedLexicalOnly()).toBe(1);
    const after = await reopened.search('silt of deltas');
    expect(after.mode).toBe('hybrid');
    expect(after.results[0]).toMatchObject({ docId: 'c', page: 2 });
  });
});
