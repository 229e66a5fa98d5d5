// Browser Web Worker entry for PDF extraction (module worker). Created by pdf-client.ts's createPdfWorker().
/// <reference lib="webworker" />
import { createBrowserPdfjsEnvironment } from './pdfjs-browser';
import { setPdfjsEnvironment } from './pdfjs-env';
import { servePdfExtraction } from './worker-host';

setPdfjsEnvironment(createBrowserPdfjsEnvironment());
servePdfExtraction(self as unknown as DedicatedWorkerGlobalScope);
