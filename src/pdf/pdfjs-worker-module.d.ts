// pdfjs-dist ships no types for its worker module; we only hand the module object to pdf.js (globalThis.pdfjsWorker).
declare module 'pdfjs-dist/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
