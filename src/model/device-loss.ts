// What a failed GPU call means. When the device goes away (driver reset, GPU process crash, out of memory, or a
// destroy()), every read-back in flight and every later mapAsync rejects with a DOMException named AbortError
// (Dawn and Chrome alike). AppError.from would call that ABORTED — a Stop — so an answer cut off by a lost GPU
// looked stopped by the user and the model still looked loaded. Here such an error becomes DEVICE_LOST, which
// says what to do (load the model again) and which the app treats as "the engine is gone".
import type { GpuContext } from '../gpu/context';
import { AppError, isAbortError } from '../shared/errors';

/** How long an AbortError that our own signal did not cause waits for the device's `lost` promise to settle. */
const LOST_SETTLE_MS = 1000;

export function deviceLostError(during: string): AppError {
  return new AppError('DEVICE_LOST', `The GPU device was lost ${during} (driver reset, another app took the GPU memory, or the GPU process restarted). Load the model again.`);
}

/**
 * The AppError for `e`, thrown by GPU work on `ctx` while `signal` governed it. `isLost()` says whether the
 * device is already known to be lost. An AbortError that the signal did not cause is a lost device when `ctx.lost`
 * settles soon after (the two callbacks arrive in either order); otherwise it is INTERNAL, never ABORTED.
 */
export async function gpuFailure(e: unknown, ctx: GpuContext, opts: { signal?: AbortSignal; isLost?: () => boolean; during: string }): Promise<AppError> {
  if (opts.isLost?.()) return deviceLostError(opts.during);
  if (!isAbortError(e) || opts.signal?.aborted) return AppError.from(e);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lost = await Promise.race([
    ctx.lost.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), LOST_SETTLE_MS))),
  ]);
  clearTimeout(timer);
  if (lost) return deviceLostError(opts.during);
  const msg = e instanceof Error ? e.message : String(e);
  return new AppError('INTERNAL', `A GPU operation was aborted ${opts.during} although nothing was cancelled: ${msg}. Load the model again.`);
}
