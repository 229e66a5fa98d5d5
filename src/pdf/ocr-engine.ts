// One Tesseract recogniser (tesseract.js: Tesseract's C++ compiled to WebAssembly, in its own worker — a Web
// Worker in the browser, a worker thread in Node) for a fixed set of languages. The worker and the language
// data load on first use. Cancelling a recognition terminates the worker (a page can take many seconds, and
// Tesseract has no way to stop inside one), so cancel takes effect at once; the next call starts a new worker.
// A recognition that fails ends the worker too (its wasm core may be broken), and the next call starts a new one.
import Tesseract from 'tesseract.js';
import { AppError } from '../shared/errors';
import type { TesseractBlockLike } from './ocr-text';
import { tesseractOrder, type OcrLanguage } from './ocr-types';

export interface RecogniseOptions {
  signal?: AbortSignal;
  /** Resolution of the image, so Tesseract sizes its analysis (it cannot know it from PNG pixels alone). */
  dpi: number;
  /** 0..1 while Tesseract recognises this image. */
  onProgress?: (fraction: number) => void;
  /** Called while the worker's wasm core (first half) and language data (second half) load, first call only: 0..1. */
  onLoading?: (fraction: number) => void;
}

export interface OcrRecogniser {
  readonly languages: readonly OcrLanguage[];
  /**
   * Recognises one encoded image (PNG/JPEG bytes); rejects with ABORTED when `signal` aborts, with OCR_FAILED when
   * the recogniser cannot start (isOcrStartFailure) or this image's recognition fails (the recogniser stays usable:
   * TesseractRecogniser ends that worker and starts a new one for the next call). Calls queue.
   */
  recognise(image: Uint8Array, opts: RecogniseOptions): Promise<TesseractBlockLike[]>;
  /** Terminates the worker. */
  dispose(): Promise<void>;
}

/** Where tesseract.js finds its worker script, wasm core and language data (see ocr-node.ts / ocr-browser.ts). */
export type TesseractPaths = Pick<Partial<Tesseract.WorkerOptions>, 'workerPath' | 'corePath' | 'langPath' | 'workerBlobURL'>;

export function ocrAbortedError(): AppError {
  return new AppError('ABORTED', 'Text recognition (OCR) was cancelled.');
}

/** `e` marked as a failure to start the recogniser (details.ocrStart): no page can be recognised. */
function startFailure(e: AppError): AppError {
  return e.details?.ocrStart === true ? e : new AppError(e.code, e.message, { ...e.details, ocrStart: true });
}

/**
 * Whether a recognise() rejection means the recogniser could not start (its files cannot be had or loaded), so
 * that no page can be recognised — as opposed to one page's recognition failing, after which the next page gets a
 * new worker. Survives structured clone (AppError.toJSON keeps details).
 */
export function isOcrStartFailure(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'OCR_FAILED' && (e as { details?: { ocrStart?: unknown } }).details?.ocrStart === true;
}

export class TesseractRecogniser implements OcrRecogniser {
  private worker: Promise<Tesseract.Worker> | null = null;
  private onProgress: ((fraction: number) => void) | undefined;
  private onLoading: ((fraction: number) => void) | undefined;
  /** Resolves when the recognition queued last is over: calls run one after another on the one worker. */
  private tail: Promise<void> = Promise.resolve();

  readonly languages: readonly OcrLanguage[];

  constructor(
    languages: readonly OcrLanguage[],
    private readonly paths: TesseractPaths,
    /**
     * Checks that every language's data can be had (ocr-browser.ts: fetched through the service worker's cache;
     * ocr-node.ts: the files exist) before a worker is started, and rejects with OCR_FAILED naming what is missing.
     */
    private readonly checkLanguageData?: (languages: readonly OcrLanguage[]) => Promise<void>,
  ) {
    this.languages = tesseractOrder(languages);
  }

  private start(): Promise<Tesseract.Worker> {
    // tesseract.js rejects createWorker() only when its first step fails: a language file that cannot be fetched
    // or read, or that Tesseract cannot initialise from, goes to errorHandler and createWorker's promise never
    // settles — OCR would wait forever. A job failure reported before the worker is ready therefore fails the
    // start. (That worker cannot be terminated: tesseract.js never hands it out. The data check below keeps the
    // usual cause — a language never fetched, and now offline — from starting one at all.)
    let ready = false;
    let failStart!: (e: unknown) => void;
    const startFailed = new Promise<never>((_, reject) => (failStart = reject));
    const created = (async () => {
      await this.checkLanguageData?.(this.languages);
      return Tesseract.createWorker([...this.languages], Tesseract.OEM.LSTM_ONLY, {
        ...this.paths,
        gzip: true,
        // No cache of tesseract.js's own (in Node it would write traineddata files into the working directory,
        // in the browser a second copy in IndexedDB): the app's service worker caches the files it fetches.
        cacheMethod: 'none',
        logger: (m: Tesseract.LoggerMessage) => {
          if (m.status === 'recognizing text') this.onProgress?.(m.progress);
          // One 0..1 for the whole load: the wasm core is its first half, the language data its second.
          else if (m.status === 'loading tesseract core') this.onLoading?.(m.progress / 2);
          else if (m.status === 'loading language traineddata') this.onLoading?.(0.5 + m.progress / 2);
        },
        // Without a handler tesseract.js throws job failures from its message listener (an uncaught exception).
        // A failing recognition's own promise rejects, which is where it is handled; before the worker is
        // ready, no promise would.
        errorHandler: (e: unknown) => {
          if (!ready) failStart(e);
        },
      });
    })();
    created.catch(() => undefined);
    return Promise.race([created, startFailed]).then(
      (w) => {
        ready = true;
        return w;
      },
      (e: unknown) => {
        ready = true;
        this.worker = null;
        if (e instanceof AppError) throw startFailure(e);
        throw startFailure(
          new AppError(
            'OCR_FAILED',
            `Text recognition could not start (${describe(e)}). Its files (the recogniser and the ${this.languages.join('+')} language data) are stored for offline use the first time a page is recognised online: connect once and try again.`,
          ),
        );
      },
    );
  }

  async recognise(image: Uint8Array, opts: RecogniseOptions): Promise<TesseractBlockLike[]> {
    const { signal } = opts;
    if (signal?.aborted) throw ocrAbortedError();
    const before = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tail = before.then(() => mine);
    try {
      // Waiting for an earlier recognition: a Cancel now leaves that one (and its worker) alone.
      await untilAborted(signal, () => undefined, () => before);
      this.onProgress = opts.onProgress;
      this.onLoading = opts.onLoading;
      return await untilAborted(signal, () => void this.kill(), async () => {
        const worker = await (this.worker ??= this.start());
        if (signal?.aborted) throw ocrAbortedError();
        // `user_defined_dpi` is a Tesseract parameter, set for this recognition only.
        const res = await worker.recognize(image as unknown as Tesseract.ImageLike, { user_defined_dpi: String(Math.round(opts.dpi)) } as Partial<Tesseract.RecognizeOptions>, { text: false, blocks: true });
        return (res.data.blocks ?? []) as unknown as TesseractBlockLike[];
      }).catch(async (e: unknown) => {
        // A recognition that failed (not a cancel, which ended the worker already; not a start, which left none)
        // may leave the wasm core in any state (an abort() inside it poisons every later call): the worker is
        // ended here, before the next queued call runs, and that call starts a new one.
        if (!isOcrStartFailure(e) && !(e instanceof AppError && e.code === 'ABORTED')) await this.kill();
        if (e instanceof AppError) throw e;
        throw new AppError('OCR_FAILED', `Text recognition failed on this page (${describe(e)}).`);
      });
    } finally {
      this.onProgress = undefined;
      this.onLoading = undefined;
      release();
    }
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    await w.then((x) => x.terminate(), () => undefined);
  }

  dispose(): Promise<void> {
    return this.kill();
  }
}

/** Runs `work`; when `signal` aborts first, calls `onAbort` and rejects with ABORTED without waiting for it. */
function untilAborted<T>(signal: AbortSignal | undefined, onAbort: () => void, work: () => Promise<T>): Promise<T> {
  if (!signal) return work();
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(ocrAbortedError());
    };
    signal.addEventListener('abort', abort, { once: true });
    work().then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
