// Errors a user can act on. Every error that crosses a module or worker boundary is an AppError:
// {name: 'AppError', code, message}, serialisable with toJSON/fromJSON (structured clone drops classes).

export type ErrorCode =
  // GPU / engine
  | 'NO_WEBGPU' // no navigator.gpu or no adapter
  | 'ADAPTER_TOO_SMALL' // model needs more GPU memory / bigger buffers than the adapter offers
  | 'DEVICE_LOST'
  | 'UNSUPPORTED_QUANTIZATION' // e.g. bits=3, unknown checkpoint format
  | 'UNSUPPORTED_MODEL' // not a Llama-family architecture, unknown dtype
  | 'MALFORMED_CONFIG'
  | 'MISSING_FILE' // a file of the model directory is absent (e.g. a shard)
  | 'TRUNCATED_FILE' // a file is shorter than its header says
  | 'MALFORMED_WEIGHTS'
  | 'TOKENIZER_ERROR'
  | 'ABORTED'
  | 'NOT_LOADED'
  // store / network
  | 'DOWNLOAD_FAILED'
  | 'INTEGRITY_ERROR'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE_UNAVAILABLE' // the browser keeps no data for the site (IndexedDB refused): documents last for this page only
  // documents
  | 'PASSWORD_REQUIRED'
  | 'BAD_PASSWORD'
  | 'NO_TEXT'
  | 'NOT_PDF'
  | 'PDF_UNREADABLE'
  | 'OCR_FAILED' // text recognition could not start or failed on a page
  // generic
  | 'BAD_ARGUMENT'
  | 'NOTHING_TO_SEARCH' // no selected document is ready: still being read, none selected, or none added
  | 'PROMPT_TOO_LONG' // the question (and instructions) leave no room for a source in the model's context
  | 'EMPTY_ANSWER' // the model ended its answer at once, with no text (it was not stopped)
  | 'WORKER_FAILED' // a worker (model engine, PDF reader) failed to start or stopped unexpectedly
  | 'INTERNAL';

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toJSON(): { name: 'AppError'; code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { name: 'AppError', code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }

  static fromJSON(o: { code: ErrorCode; message: string; details?: Record<string, unknown> }): AppError {
    return new AppError(o.code, o.message, o.details);
  }

  /** Wraps anything thrown into an AppError (unknown errors become INTERNAL, aborts become ABORTED). */
  static from(e: unknown): AppError {
    if (e instanceof AppError) return e;
    if (e && typeof e === 'object' && (e as { name?: string }).name === 'AppError') {
      return AppError.fromJSON(e as { code: ErrorCode; message: string });
    }
    if (isAbortError(e)) return new AppError('ABORTED', 'The operation was cancelled.');
    const msg = e instanceof Error ? e.message : String(e);
    return new AppError('INTERNAL', msg);
  }
}

/** A DOMException (or any error) named AbortError: what fetch, mapAsync and friends reject with when aborted. */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'AbortError';
}

/** Throws ABORTED when the signal has fired. Call between units of long work. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AppError('ABORTED', 'The operation was cancelled.');
}
