// The worker protocol end to end: PdfClient ↔ servePdfExtraction over a real MessageChannel (structured
// clone, transferred buffers), as between the UI thread and the PDF worker in the browser.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { PdfClient } from '../../src/pdf/pdf-client';
import { servePdfExtraction } from '../../src/pdf/worker-host';
import type { MessageEndpoint } from '../../src/pdf/worker-protocol';
import { bodyLines, buildPdf, fixture, HAVE_FIXTURES, SKIP_REASON } from './pdf-helpers';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function connect(): { client: PdfClient; clientPort: MessagePort } {
  const channel = new MessageChannel();
  channels.push(channel);
  servePdfExtraction(channel.port2 as unknown as MessageEndpoint);
  const client = new PdfClient(channel.port1 as unknown as MessageEndpoint);
  channel.port1.start();
  channel.port2.start();
  return { client, clientPort: channel.port1 };
}

describe('PDF worker protocol', () => {
  it('streams pages and progress, resolves with the result, keeps the caller’s bytes', async () => {
    const { client } = connect();
    const pdf = buildPdf({ pages: Array.from({ length: 5 }, (_, i) => ({ lines: bodyLines([`Worker page ${i + 1}`]) })) });
    const pages: number[] = [];
    const progress: number[] = [];
    const r = await client.extract(pdf, { onPage: (p) => pages.push(p.page), onProgress: (p) => progress.push(p.page) });
    expect(pages).toEqual([1, 2, 3, 4, 5]);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(r.pages[2]).toEqual({ page: 3, label: '3', text: 'Worker page 3', quality: 'ok' });
    expect(pdf.byteLength).toBeGreaterThan(0); // not detached by the transfer
  });

  it('errors cross the boundary as AppError with their code', async () => {
    const { client } = connect();
    const err = await client.extract(new TextEncoder().encode('not a pdf')).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('NOT_PDF');
  });

  it.skipIf(!HAVE_FIXTURES)('password flow through the worker: PASSWORD_REQUIRED, BAD_PASSWORD, then text', async () => {
    if (!HAVE_FIXTURES) return console.warn(SKIP_REASON);
    const { client } = connect();
    const data = fixture('issue6010_1.pdf');
    expect((await client.extract(data).catch((e) => e)).code).toBe('PASSWORD_REQUIRED');
    expect((await client.extract(data, { password: 'nope' }).catch((e) => e)).code).toBe('BAD_PASSWORD');
    expect((await client.extract(data, { password: 'abc' })).pages[0].text).toBe('Issue 6010');
  });

  it('abort cancels the work in the worker (no more pages arrive) and rejects with ABORTED', async () => {
    const { client, clientPort } = connect();
    // Every message the worker sends, in order. The first job's id is the one on its first progress message.
    const log: { type: string; id: number; error?: { code: string } }[] = [];
    let workerEnded!: () => void;
    const ended = new Promise<void>((r) => (workerEnded = r));
    clientPort.addListener('message', (msg: { type: string; id: number; error?: { code: string } }) => {
      if (msg.type === 'pong') return; // the heartbeat's, not the job's
      log.push(msg);
      if (msg.id === log[0].id && (msg.type === 'error' || msg.type === 'done')) workerEnded();
    });
    const pdf = buildPdf({ pages: Array.from({ length: 1000 }, (_, i) => ({ lines: bodyLines([`Page ${i + 1} of many`]) })) });
    const controller = new AbortController();
    const result = client.extract(pdf, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.page === 10) controller.abort();
      },
    });
    const err = await result.catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('ABORTED');
    // The worker's own end of the job: an ABORTED error, long before page 1000.
    await ended;
    const first = log[0].id;
    const terminal = log.findIndex((m) => m.id === first && (m.type === 'error' || m.type === 'done'));
    expect(log[terminal]).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
    expect(log.filter((m) => m.id === first && m.type === 'progress').length).toBeLessThan(1000);
    // Nothing of the first job after its end: a second job's full round trip through the same (ordered)
    // channel flushes anything the worker might still have sent.
    await client.extract(buildPdf({ pages: [{ lines: bodyLines(['After the abort']) }] }));
    expect(log.slice(terminal + 1).filter((m) => m.id === first)).toEqual([]);
  });

});
