// The worker side of PDF extraction: answers 'extract' requests on an endpoint (the worker's global scope in
// the browser; a MessagePort in tests), streaming pages and progress, and honours 'cancel'.
import { AppError } from '../shared/errors';
import { extractPdf } from './extract';
import type { MessageEndpoint, PdfWorkerRequest, PdfWorkerResponse } from './worker-protocol';

export function servePdfExtraction(endpoint: MessageEndpoint): () => void {
  const running = new Map<number, AbortController>();
  const send = (msg: PdfWorkerResponse) => endpoint.postMessage(msg);

  const onMessage = (ev: MessageEvent) => {
    const req = ev.data as PdfWorkerRequest;
    if (req?.type === 'ping') {
      send({ type: 'pong', id: req.id });
      return;
    }
    if (req?.type === 'cancel') {
      running.get(req.id)?.abort();
      return;
    }
    if (req?.type !== 'extract') return;
    const controller = new AbortController();
    running.set(req.id, controller);
    extractPdf(req.data, {
      ...(req.password !== undefined ? { password: req.password } : {}),
      signal: controller.signal,
      onPage: (page) => send({ type: 'page', id: req.id, page }),
      onProgress: (p) => send({ type: 'progress', id: req.id, ...p }),
    }).then(
      (result) => send({ type: 'done', id: req.id, result }),
      (e) => send({ type: 'error', id: req.id, error: AppError.from(e).toJSON() }),
    ).finally(() => running.delete(req.id));
  };
  endpoint.addEventListener('message', onMessage);
  return () => {
    endpoint.removeEventListener('message', onMessage);
    for (const c of running.values()) c.abort();
  };
}
