// Which pdf.js build extraction uses, and where it finds cMaps and standard fonts.
// Node (CLI, tests, scripts): the legacy build with data read from node_modules (pdfjs-node.ts), chosen
// automatically. Browser worker: pdf-worker.ts installs the modern build with data served by the app
// (pdfjs-browser.ts) before extracting.
import type * as PdfjsLib from 'pdfjs-dist';

export type Pdfjs = typeof PdfjsLib;

export interface PdfjsEnvironment {
  lib: Pdfjs;
  /** Folder (URL, or a filesystem path in Node) of pdf.js's packed .bcmap files; undefined = no CJK cMaps. */
  cMapUrl?: string;
  /** Folder of pdf.js's standard font data (metrics of the 14 standard fonts and Foxit fallbacks). */
  standardFontDataUrl?: string;
  /** Folder of pdf.js's wasm image decoders (asset-paths.ts PDFJS_WASM_PATH); undefined = scans' images not decoded. */
  wasmUrl?: string;
  /**
   * Let pdf.js's worker code fetch cMaps and fonts itself. Required inside a Web Worker: otherwise pdf.js's
   * display side fetches them and consults `document.baseURI`, which a worker lacks (every CJK font fails).
   */
  useWorkerFetch?: boolean;
}

let current: Promise<PdfjsEnvironment> | undefined;

/** Installs the environment every later extractPdf call uses (the browser worker calls this once). */
export function setPdfjsEnvironment(env: PdfjsEnvironment | Promise<PdfjsEnvironment>): void {
  current = Promise.resolve(env);
}

// Kept out of the bundler's sight: the browser build must never pull in the Node-only module.
const NODE_ENVIRONMENT_MODULE = './pdfjs-node';

/** The installed environment, or in Node the default one (legacy build + node_modules data). */
export function getPdfjsEnvironment(): Promise<PdfjsEnvironment> {
  if (!current) {
    const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
    if (!isNode) {
      return Promise.reject(new Error('pdf.js environment not set: call setPdfjsEnvironment() in the worker first.'));
    }
    current = import(/* @vite-ignore */ NODE_ENVIRONMENT_MODULE).then((m: { createNodePdfjsEnvironment: () => Promise<PdfjsEnvironment> }) =>
      m.createNodePdfjsEnvironment(),
    );
    current.catch(() => (current = undefined));
  }
  return current;
}
