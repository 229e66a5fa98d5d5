// How many pages are recognised at once: one Tesseract worker (one core's work: Tesseract is single-threaded) per
// core, at most 4, fewer with little memory — each worker holds ~100 MB of wasm memory and language data. The app
// asks with navigator.hardwareConcurrency / navigator.deviceMemory (GB, Chromium only), the CLI with
// os.availableParallelism(). Two workers on a 2-core machine read four Letter pages 1.9× as fast as one.
export const OCR_MAX_PARALLEL = 4;

export function ocrParallelism(cores: number | undefined, deviceMemoryGb?: number): number {
  let n = Math.min(OCR_MAX_PARALLEL, Math.max(1, Math.floor(cores || 1)));
  if (deviceMemoryGb !== undefined && deviceMemoryGb <= 2) n = 1;
  else if (deviceMemoryGb !== undefined && deviceMemoryGb <= 4) n = Math.min(n, 2);
  return n;
}
