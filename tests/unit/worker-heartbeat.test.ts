// A worker that is alive but stuck (its thread in a loop that never yields) fires no 'error' event: without the
// heartbeat a call waiting on it waits for ever. Real worker threads running the real hosts (engine, PDF reader),
// made stuck or merely slow by tests/unit/workers/stuck-worker.ts; the clients are the app's own.
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerEngine } from '../../src/worker/engine-client';
import { PdfClient } from '../../src/pdf/pdf-client';
import type { FailureEndpoint, MessageEndpoint } from '../../src/worker/protocol';
import type { AppError } from '../../src/shared/errors';
import { Heartbeat } from '../../src/shared/heartbeat';
import { bodyLines, buildPdf } from './pdf-helpers';

const BEAT = { intervalMs: 100, timeoutMs: 2_500 };
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/**
 * A real worker thread serving `host` on a port; the port, with terminate(), is the client's endpoint. Resolves
 * once the thread has loaded its scripts and serves (so that its start-up is not timed by the heartbeat).
 */
async function startWorker(host: 'engine' | 'pdf', work: 'stuck' | 'slow', waitMs = 0) {
  const { port1, port2 } = new MessageChannel();
  // (The thread loads the TypeScript script through tsx's loader, registered in that thread first.)
  const script = new URL('./workers/stuck-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: { port: port2, host, work, waitMs }, transferList: [port2] });
  worker.on('error', (e) => console.error('test worker failed:', e));
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  workers.push(worker);
  let terminated = false;
  const endpoint = Object.assign(port1, {
    terminate: () => {
      terminated = true;
      port1.close();
      void worker.terminate();
    },
  });
  port1.start();
  return { endpoint: endpoint as unknown as MessageEndpoint & FailureEndpoint & { terminate(): void }, terminated: () => terminated };
}

describe('worker heartbeat', () => {
  it('an engine worker stuck mid-answer ends the answer with WORKER_FAILED (unresponsive) and is stopped; the owner is told once', async () => {
    const { endpoint, terminated } = await startWorker('engine', 'stuck');
    const engine = new WorkerEngine(endpoint, { heartbeat: BEAT });
    const failures: AppError[] = [];
    engine.onFailure = (e) => failures.push(e);
    await engine.load({ list: async () => [], size: async () => 0, read: async () => new Uint8Array() });
    const tokens: string[] = [];
    const answer = (async () => {
      for await (const t of engine.generate('hi')) tokens.push(t.text);
    })();
    await expect(answer).rejects.toMatchObject({ code: 'WORKER_FAILED', details: { reason: 'unresponsive' } });
    expect(tokens).toEqual(['a']); // what came before it got stuck still arrived
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toMatch(/stopped responding .* Load the model again/);
    expect((failures[0].details as { silentMs: number }).silentMs).toBeGreaterThanOrEqual(BEAT.timeoutMs);
    expect(terminated()).toBe(true);
    await expect(engine.countTokens('x')).rejects.toMatchObject({ code: 'WORKER_FAILED' }); // at once, nothing waits
  });

  it('an engine worker that is slow but alive (silent for longer than the timeout, its event loop free) is never taken for stuck', async () => {
    const { endpoint, terminated } = await startWorker('engine', 'slow', 2 * BEAT.timeoutMs);
    const engine = new WorkerEngine(endpoint, { heartbeat: BEAT });
    let failed: AppError | null = null;
    engine.onFailure = (e) => (failed = e);
    await engine.load({ list: async () => [], size: async () => 0, read: async () => new Uint8Array() });
    let out = '';
    for await (const t of engine.generate('hi')) out += t.text;
    expect(out).toBe('ab');
    expect(failed).toBeNull();
    expect(terminated()).toBe(false);
  });

  it('a PDF reader stuck inside an extraction rejects it with WORKER_FAILED (unresponsive) saying what to do; later ones reject at once', async () => {
    const { endpoint } = await startWorker('pdf', 'stuck');
    const client = new PdfClient(endpoint, { heartbeat: BEAT });
    const failures: AppError[] = [];
    client.onFailure = (e) => failures.push(e);
    const pdf = buildPdf({ pages: [{ lines: bodyLines(['Never finished']) }] });
    await expect(client.extract(pdf)).rejects.toMatchObject({ code: 'WORKER_FAILED', details: { reason: 'unresponsive' } });
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toMatch(/PDF reader stopped responding.*Remove this document and add the PDF again/);
    await expect(client.extract(pdf)).rejects.toMatchObject({ code: 'WORKER_FAILED' });
  });

  it('a PDF reader that works answers the pings: a real extraction completes under a tight heartbeat', async () => {
    const { endpoint } = await startWorker('pdf', 'slow');
    const client = new PdfClient(endpoint, { heartbeat: BEAT });
    const pdf = buildPdf({ pages: [{ lines: bodyLines(['The glacier moved eleven metres']) }, { lines: bodyLines(['in one winter']) }] });
    const res = await client.extract(pdf);
    expect(res.pages.map((p) => p.text).join(' ')).toContain('glacier moved eleven metres');
    expect(client.failed).toBeNull();
  });
});

describe('Heartbeat', () => {
  it('a late tick (throttled timers, a busy thread) is no evidence: the ping is sent again with a fresh timeout', async () => {
    const pings: number[] = [];
    let silent: number | null = null;
    const beat = new Heartbeat(() => pings.push(Date.now()), (ms) => (silent = ms), { intervalMs: 50, timeoutMs: 200 });
    beat.watch();
    // This thread is busy for longer than the timeout: the worker's answer could be waiting behind it.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 60));
    expect(silent).toBeNull();
    expect(pings.length).toBeGreaterThanOrEqual(2); // pinged again after the late tick
    // Still no answer, and the ticks are on time now: stuck.
    await new Promise((r) => setTimeout(r, 400));
    expect(silent).not.toBeNull();
    beat.end();
  });
});
