// PDF extraction for the app: one shared pdf worker (src/pdf/pdf-client.ts) for all documents.
import { createPdfWorker, PdfClient } from '../../pdf/pdf-client';
import type { ExtractOptions, ExtractResult } from '../../pdf/types';

let client: PdfClient | null = null;

export function extractInWorker(data: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
  client ??= new PdfClient(createPdfWorker());
  return client.extract(data, opts);
}
