// pdf.js for Node: the legacy build (pdfjs-dist 6 targets Node >= 22; we polyfill for Node 20), running its
// worker code in-process, with cMaps and standard fonts read straight from node_modules/pdfjs-dist.
import './node-polyfills';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Pdfjs, PdfjsEnvironment } from './pdfjs-env';

/** Absolute folder of the installed pdfjs-dist package (with a trailing separator added by callers). */
export function pdfjsDistDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('pdfjs-dist/package.json'));
}

export interface NodePdfjsOptions {
  /** Give pdf.js the CJK cMaps (default true). false exists to prove that CJK text depends on them. */
  cMaps?: boolean;
}

export async function createNodePdfjsEnvironment(opts: NodePdfjsOptions = {}): Promise<PdfjsEnvironment> {
  const lib = (await import('pdfjs-dist/legacy/build/pdf.mjs')) as unknown as Pdfjs;
  const dist = pdfjsDistDir();
  return {
    lib,
    cMapUrl: opts.cMaps === false ? undefined : join(dist, 'cmaps') + '/',
    standardFontDataUrl: join(dist, 'standard_fonts') + '/',
    wasmUrl: join(dist, 'wasm') + '/',
  };
}
