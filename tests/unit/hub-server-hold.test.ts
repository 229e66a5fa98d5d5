// The test hub's 'hold' fault (e2e/hub-server.ts): a response stalls after its first bytes until the test
// releases it, then the rest comes, unchanged; a client that goes away ends the held response; a Range
// request shorter than the held prefix is not held. No timing: every wait is on an observable state.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../e2e/hub-server';
import { makeTempDir } from '../temp-dir';

const FILE = 'onnx/model_quantized.onnx';
let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function serve(bytes: Uint8Array): Promise<Hub> {
  const dir = makeTempDir('pdfchat-hub-hold-');
  mkdirSync(join(dir, 'onnx'));
  writeFileSync(join(dir, FILE), bytes);
  hub = await startHub({ repos: { 'org/model': dir } });
  return hub;
}

const content = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

/** Reads from the body until `n` bytes came. */
async function readAtLeast(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the body ended after ${got} bytes`);
    parts.push(value);
    got += value.length;
  }
  return parts;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe("hub 'hold' fault", () => {
  it('sends the first bytes, holds the rest until released, then the real rest', async () => {
    const bytes = content(200_000);
    const h = await serve(bytes);
    h.setFault({ kind: 'hold', file: FILE, afterBytes: 1000 });
    const res = await fetch(`${h.url}/org/model/resolve/main/${FILE}`);
    expect(res.headers.get('content-length')).toBe('200000');
    const reader = res.body!.getReader();
    const first = await readAtLeast(reader, 1000);
    const log = h.requests.find((r) => r.path.endsWith(FILE))!;
    await expect.poll(() => log.held).toBe(true);
    expect(log.sent).toBe(1000);
    expect(concat(first).length).toBe(1000); // nothing past the held point came

    h.release();
    const rest: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    expect(concat([...first, ...rest])).toEqual(bytes);
    expect(log.held).toBe(false);
    expect(log.sent).toBe(200_000);
  });

  it('holds every matching response until clearFaults; a Range request for the first byte is not held', async () => {
    const bytes = content(5000);
    const h = await serve(bytes);
    h.setFault({ kind: 'hold', file: FILE, afterBytes: 10 });
    const url = `${h.url}/org/model/resolve/main/${FILE}`;
    const head = await fetch(url, { headers: { range: 'bytes=0-0' } });
    expect(head.status).toBe(206);
    expect(new Uint8Array(await head.arrayBuffer())).toEqual(bytes.subarray(0, 1));

    const a = await fetch(url);
    const b = await fetch(url);
    await expect.poll(() => h.requests.filter((r) => r.held).length).toBe(2);
    h.clearFaults();
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(bytes);
    expect(new Uint8Array(await b.arrayBuffer())).toEqual(bytes);
    // The fault is gone: the next response is not held.
    expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(bytes);
    expect(h.requests.filter((r) => r.method === 'GET' && !r.range).map((r) => r.sent)).toEqual([5000, 5000, 5000]);
  });

  it('ends a held response when the client goes away (nothing more is sent)', async () => {
    const h = await serve(content(100_000));
    h.setFault({ kind: 'hold', file: FILE, afterBytes: 100 });
    const abort = new AbortController();
    const res = await fetch(`${h.url}/org/model/resolve/main/${FILE}`, { signal: abort.signal });
    await readAtLeast(res.body!.getReader(), 100);
    const log = h.requests.find((r) => r.path.endsWith(FILE))!;
    await expect.poll(() => log.held).toBe(true);
    abort.abort();
    await expect.poll(() => log.held).toBe(false);
    h.release(); // nothing left to release
    expect(log.sent).toBe(100);
  });
});
