// Messages between the UI thread (pdf-client.ts) and the PDF worker (pdf-worker.ts / worker-host.ts).
// Everything is structured-clone safe: errors travel as AppError.toJSON().
import type { ErrorCode } from '../shared/errors';
import type { ExtractedPage, ExtractResult } from './types';

export type PdfWorkerRequest =
  /** `data` is transferred (the sender's buffer is detached). */
  | { type: 'extract'; id: number; data: Uint8Array; password?: string }
  | { type: 'cancel'; id: number }
  /** Heartbeat (src/shared/heartbeat.ts): answered with 'pong' at once. */
  | { type: 'ping'; id: number };

export type PdfWorkerResponse =
  | { type: 'page'; id: number; page: ExtractedPage }
  | { type: 'progress'; id: number; page: number; pageCount: number }
  | { type: 'done'; id: number; result: ExtractResult }
  | { type: 'error'; id: number; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } }
  | { type: 'pong'; id: number /* the ping's */ };

/** The part of Worker / DedicatedWorkerGlobalScope / MessagePort both sides use. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}
