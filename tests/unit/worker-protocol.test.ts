// The worker transport over a real MessageChannel (structured clone, transfers) with a small engine that
// reads its model files through the protocol — the transport is what is under test here.
import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { serveEngine } from '../../src/worker/engine-host';
import { WorkerEngine } from '../../src/worker/engine-client';
import type { FailureEndpoint, MessageEndpoint } from '../../src/worker/protocol';
import type { ChatMessage, Engine, GenerateOptions, GeneratedToken, GenerationStats, ModelInfo } from '../../src/model/engine-types';
import type { ModelFiles } from '../../src/model/files';
import { AppError } from '../../src/shared/errors';

/** Emits the bytes of model file "text.bin" one character per token, waiting a tick between tokens. */
class FileEchoEngine implements Engine {
  private text = '';
  private stats: GenerationStats | null = null;
  async load(src: ModelFiles, opts: { onProgress?: (p: { phase: string; loaded: number; total: number }) => void } = {}): Promise<ModelInfo> {
    const names = await src.list();
    if (!names.includes('config.json')) throw new AppError('MISSING_FILE', 'config.json is missing from the model folder.');
    const size = await src.size('text.bin');
    const part1 = await src.read('text.bin', 0, 3);
    opts.onProgress?.({ phase: 'load', loaded: 3, total: size });
    const part2 = await src.read('text.bin', 3);
    opts.onProgress?.({ phase: 'load', loaded: size, total: size });
    this.text = new TextDecoder().decode(new Uint8Array([...part1, ...part2]));
    return { name: 'echo', architecture: 'echo', vocabSize: 256, contextLength: 64, quantization: 'none', weightBytes: size, adapter: 'none', f16: false, hasChatTemplate: false, tuning: 'off' };
  }
  async *generate(input: string | ChatMessage[], opts: GenerateOptions = {}): AsyncIterable<GeneratedToken> {
    const max = opts.maxTokens ?? 256;
    let n = 0;
    for (const ch of this.text) {
      if (n >= max) break;
      if (opts.signal?.aborted) throw new AppError('ABORTED', 'The operation was cancelled.');
      await new Promise((r) => setTimeout(r, 2));
      yield { id: ch.charCodeAt(0), text: ch };
      n++;
    }
    this.stats = { promptTokens: typeof input === 'string' ? input.length : input.length, reusedTokens: 0, generatedTokens: n, prefillTokS: 1, decodeTokS: 2 };
  }
  async countTokens(input: string | ChatMessage[]) {
    return typeof input === 'string' ? input.length : input.reduce((a, m) => a + m.content.length, 0);
  }
  lastStats() { return this.stats; }
  async unload() { this.text = ''; }
}

function memoryFiles(files: Record<string, string>): ModelFiles {
  const enc = new TextEncoder();
  const get = (n: string) => {
    if (!(n in files)) throw new AppError('MISSING_FILE', `${n} is missing.`);
    return enc.encode(files[n]);
  };
  return { list: async () => Object.keys(files), size: async (n) => get(n).byteLength, read: async (n, s, e) => get(n).slice(s ?? 0, e) };
}

function pair() {
  const ch = new MessageChannel();
  // worker_threads ports are EventTargets too; start() begins delivery for addEventListener listeners.
  serveEngine(ch.port1 as unknown as MessageEndpoint, () => new FileEchoEngine());
  const client = new WorkerEngine(ch.port2 as unknown as MessageEndpoint & FailureEndpoint);
  ch.port1.start();
  ch.port2.start();
  return { client, close: () => { ch.port1.close(); ch.port2.close(); } };
}

describe('engine worker protocol', () => {
  it('loads through file requests, reports progress, streams tokens, counts tokens, returns stats', async () => {
    const { client, close } = pair();
    const progress: number[] = [];
    const info = await client.load(memoryFiles({ 'config.json': '{}', 'text.bin': 'héllo wörld' }), { onProgress: (p) => progress.push(p.loaded) });
    expect(info.name).toBe('echo');
    expect(progress).toEqual([3, 13]);
    let out = '';
    const reported: GenerationStats[] = [];
    client.onStats = (s) => reported.push(s);
    for await (const t of client.generate('hi', { maxTokens: 5 })) out += t.text;
    expect(out).toBe('héllo');
    expect(client.lastStats()).toEqual({ promptTokens: 2, reusedTokens: 0, generatedTokens: 5, prefillTokS: 1, decodeTokS: 2 });
    expect(reported).toEqual([client.lastStats()]); // the model panel's listener hears each finished answer
    expect(await client.countTokens([{ role: 'user', content: 'abcd' }])).toBe(4);
    close();
  });

  it('AppError codes survive the boundary (load error, abort)', async () => {
    const { client, close } = pair();
    await expect(client.load(memoryFiles({ 'text.bin': 'x' }))).rejects.toMatchObject({ name: 'AppError', code: 'MISSING_FILE', message: 'config.json is missing from the model folder.' });
    await client.load(memoryFiles({ 'config.json': '{}', 'text.bin': 'a'.repeat(200) }));
    const ac = new AbortController();
    let n = 0;
    const run = (async () => { for await (const _ of client.generate('x', { signal: ac.signal })) if (++n === 3) ac.abort(); })();
    const err = await run.then(() => null, (e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('ABORTED');
    expect(n).toBeLessThan(200);
    close();
  });

  it('terminate() rejects a call still waiting on the worker (a load stuck reading its weights) with ABORTED at once', async () => {
    const { client, close } = pair();
    let reading!: () => void;
    const reached = new Promise<void>((r) => { reading = r; });
    // A read that never answers: a stalled disk, or a worker busy for a long time (what Cancel must not wait for).
    const stuck: ModelFiles = { list: async () => ['config.json', 'text.bin'], size: async () => 10, read: () => { reading(); return new Promise<Uint8Array>(() => {}); } };
    const load = client.load(stuck);
    await reached;
    client.terminate();
    await expect(load).rejects.toMatchObject({ name: 'AppError', code: 'ABORTED' });
    close();
  });

  it('leaving the loop early stops the generation in the worker, and the next request still runs', async () => {
    const { client, close } = pair();
    await client.load(memoryFiles({ 'config.json': '{}', 'text.bin': 'abcdefghijklmnopqrstuvwxyz'.repeat(10) }));
    let first = '';
    for await (const t of client.generate('x')) { first += t.text; if (first.length === 2) break; }
    let second = '';
    for await (const t of client.generate('x', { maxTokens: 4 })) second += t.text;
    expect(first).toBe('ab');
    expect(second).toBe('abcd');
    close();
  });
});

/** The real MessagePort events a dead Worker fires: 'error' (script failed to load, or it threw) or 'messageerror'. */
function failureEvent(type: 'error' | 'messageerror'): Event {
  return Object.assign(new Event(type), type === 'error' ? { message: 'Failed to fetch dynamically imported module' } : {});
}

/** A port nobody serves: a worker that never started. Counts terminate() calls. */
function unservedEngine() {
  const ch = new MessageChannel();
  let terminated = 0;
  const port = Object.assign(ch.port2, { terminate: () => { terminated++; } });
  const client = new WorkerEngine(port as unknown as MessageEndpoint & FailureEndpoint & { terminate(): void });
  ch.port2.start();
  return { client, port, terminated: () => terminated, close: () => { ch.port1.close(); ch.port2.close(); } };
}

const WORKER_FAILED = {
  name: 'AppError',
  code: 'WORKER_FAILED',
  message: 'The model engine stopped unexpectedly. Load the model again (reload the page if it keeps happening).',
};

describe('engine worker that fails to start or dies', () => {
  it("a load waiting on a worker that failed to start rejects with WORKER_FAILED on 'error'; the worker is stopped, the owner told once", async () => {
    const { client, port, terminated, close } = unservedEngine();
    const failures: AppError[] = [];
    client.onFailure = (e) => failures.push(e);
    const progress: number[] = [];
    const load = client.load(memoryFiles({ 'config.json': '{}' }), { onProgress: (p) => progress.push(p.loaded) });
    port.dispatchEvent(failureEvent('error'));
    port.dispatchEvent(failureEvent('error')); // a second report changes nothing
    await expect(load).rejects.toMatchObject({ ...WORKER_FAILED, details: { event: 'error', reason: 'Failed to fetch dynamically imported module' } });
    expect(progress).toEqual([]);
    expect(terminated()).toBe(1);
    expect(failures.map((e) => e.code)).toEqual(['WORKER_FAILED']);
    close();
  });

  it('every call after the failure rejects at once with the same error (nothing waits on the dead worker)', async () => {
    const { client, port, close } = unservedEngine();
    port.dispatchEvent(failureEvent('messageerror'));
    await expect(client.load(memoryFiles({ 'config.json': '{}' }))).rejects.toMatchObject({ ...WORKER_FAILED, details: { event: 'messageerror' } });
    await expect(client.countTokens('abc')).rejects.toMatchObject(WORKER_FAILED);
    await expect(client.unload()).rejects.toMatchObject(WORKER_FAILED);
    const it = client.generate('x')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject(WORKER_FAILED);
    close();
  });

  it('a worker dying during an answer ends the answer with WORKER_FAILED (the tokens so far still arrive); the next load fails at once', async () => {
    const ch = new MessageChannel();
    serveEngine(ch.port1 as unknown as MessageEndpoint, () => new FileEchoEngine());
    const client = new WorkerEngine(ch.port2 as unknown as MessageEndpoint & FailureEndpoint);
    ch.port1.start();
    ch.port2.start();
    await client.load(memoryFiles({ 'config.json': '{}', 'text.bin': 'a'.repeat(200) }));
    let n = 0;
    const answer = (async () => {
      for await (const _ of client.generate('x')) if (++n === 3) ch.port2.dispatchEvent(failureEvent('error'));
    })();
    await expect(answer).rejects.toMatchObject(WORKER_FAILED);
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThan(200);
    await expect(client.load(memoryFiles({ 'config.json': '{}', 'text.bin': 'b' }))).rejects.toMatchObject(WORKER_FAILED);
    ch.port1.close();
    ch.port2.close();
  });

  it('after terminate() later calls reject at once with ABORTED (no failure reported)', async () => {
    const { client, close } = unservedEngine();
    const failures: AppError[] = [];
    client.onFailure = (e) => failures.push(e);
    const load = client.load(memoryFiles({ 'config.json': '{}' }));
    client.terminate();
    await expect(load).rejects.toMatchObject({ name: 'AppError', code: 'ABORTED' });
    await expect(client.countTokens('abc')).rejects.toMatchObject({ name: 'AppError', code: 'ABORTED' });
    expect(failures).toEqual([]);
    close();
  });
});
