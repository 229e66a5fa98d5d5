// A PDF worker that fails to start or dies: PdfClient fails the extractions waiting on it, and every later one at
// once, with WORKER_FAILED; the app's shared extraction (sharedPdfExtraction) starts a fresh worker for the next PDF.
// Real MessageChannel ports; the failure is the real 'error' / 'messageerror' event dispatched on the client's port.
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { PdfClient } from '../../src/pdf/pdf-client';
import { servePdfExtraction } from '../../src/pdf/worker-host';
import type { MessageEndpoint } from '../../src/pdf/worker-protocol';
import { sharedPdfExtraction } from '../../src/ui/services/extract-pdf';
import { bodyLines, buildPdf } from './pdf-helpers';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** The client's end of a channel, a Worker-like endpoint (terminate() closes it); `served` runs the real host. */
function workerPort({ served }: { served: boolean }) {
  const channel = new MessageChannel();
  channels.push(channel);
  if (served) servePdfExtraction(channel.port2 as unknown as MessageEndpoint);
  let terminated = false;
  const port = Object.assign(channel.port1, {
    terminate: () => {
      terminated = true;
      channel.port1.close();
    },
  });
  channel.port1.start();
  channel.port2.start();
  return { endpoint: port as unknown as MessageEndpoint & { terminate(): void }, port, terminated: () => terminated };
}

function failureEvent(type: 'error' | 'messageerror'): Event {
  return Object.assign(new Event(type), type === 'error' ? { message: 'Failed to fetch dynamically imported module' } : {});
}

const WORKER_FAILED = { name: 'AppError', code: 'WORKER_FAILED', message: 'The PDF reader stopped unexpectedly. Remove this document and add the PDF again.' };
const onePagePdf = (text: string) => buildPdf({ pages: [{ lines: bodyLines([text]) }] });

describe('PdfClient when the worker fails', () => {
  it("an extraction waiting on a worker that never started rejects on 'error'; later ones reject at once; the owner is told once", async () => {
    const { endpoint, port } = workerPort({ served: false });
    const client = new PdfClient(endpoint);
    const failures: AppError[] = [];
    client.onFailure = (e) => failures.push(e);
    const first = client.extract(onePagePdf('never read'));
    const second = client.extract(onePagePdf('never read either'));
    expect(client.failed).toBeNull();
    port.dispatchEvent(failureEvent('error'));
    port.dispatchEvent(failureEvent('messageerror')); // a second report changes nothing
    await expect(first).rejects.toMatchObject({ ...WORKER_FAILED, details: { event: 'error', reason: 'Failed to fetch dynamically imported module' } });
    await expect(second).rejects.toMatchObject(WORKER_FAILED);
    expect(client.failed).toMatchObject(WORKER_FAILED);
    // Nothing answers on this port: only the immediate rejection can settle this one.
    await expect(client.extract(onePagePdf('after'))).rejects.toMatchObject(WORKER_FAILED);
    expect(failures.map((e) => e.code)).toEqual(['WORKER_FAILED']);
  });

  it("a 'messageerror' in the middle of an extraction rejects it, and its later pages are not reported", async () => {
    const { endpoint, port } = workerPort({ served: true });
    const client = new PdfClient(endpoint);
    const pdf = buildPdf({ pages: Array.from({ length: 200 }, (_, i) => ({ lines: bodyLines([`Page ${i + 1}`]) })) });
    const pages: number[] = [];
    const result = client.extract(pdf, {
      onPage: (p) => {
        pages.push(p.page);
        if (p.page === 3) port.dispatchEvent(failureEvent('messageerror'));
      },
    });
    await expect(result).rejects.toMatchObject({ ...WORKER_FAILED, details: { event: 'messageerror' } });
    expect(pages).toEqual([1, 2, 3]);
  });
});

describe('the shared extraction of the app', () => {
  it('drops (and stops) a failed worker: the next PDF runs on a fresh one, which is then kept', async () => {
    const started: ReturnType<typeof workerPort>[] = [];
    const extract = sharedPdfExtraction(() => {
      // The first worker fails to start (e.g. offline, its script not cached); the next ones work.
      const w = workerPort({ served: started.length > 0 });
      started.push(w);
      return w.endpoint;
    });
    const first = extract(onePagePdf('First document'));
    expect(started).toHaveLength(1);
    started[0].port.dispatchEvent(failureEvent('error'));
    await expect(first).rejects.toMatchObject(WORKER_FAILED);
    expect(started[0].terminated()).toBe(true);

    const second = await extract(onePagePdf('Second document'));
    expect(started).toHaveLength(2);
    expect(second.pages[0].text).toBe('Second document');
    const third = await extract(onePagePdf('Third document'));
    expect(third.pages[0].text).toBe('Third document');
    expect(started).toHaveLength(2); // a working worker is shared
    expect(started[1].terminated()).toBe(false);
  });
});
