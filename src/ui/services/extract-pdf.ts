// PDF extraction for the app: one shared pdf worker (src/pdf/pdf-client.ts) for all documents. A worker that
// failed to start or died is dropped (and stopped): the next PDF starts a fresh one.
import { createPdfWorker, PdfClient } from '../../pdf/pdf-client';
import type { ExtractOptions, ExtractResult } from '../../pdf/types';
import type { MessageEndpoint } from '../../pdf/worker-protocol';

export type ExtractPdf = (data: Uint8Array, opts?: ExtractOptions) => Promise<ExtractResult>;

/** An extract function that shares one worker from `startWorker` and replaces it once it has failed. */
export function sharedPdfExtraction(startWorker: () => MessageEndpoint & { terminate(): void }): ExtractPdf {
  let current: PdfClient | null = null;
  const start = (): PdfClient => {
    const worker = startWorker();
    const client = new PdfClient(worker);
    // Its state is unknown: stop it now (it may still be running); the next PDF gets a new one.
    client.onFailure = () => {
      worker.terminate();
      if (current === client) current = null;
    };
    return client;
  };
  return (data, opts = {}) => (current ??= start()).extract(data, opts);
}

export const extractInWorker: ExtractPdf = sharedPdfExtraction(createPdfWorker);
