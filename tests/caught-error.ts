// The error a call throws or a promise rejects with, for tests that then check its code and message (an AppError
// from src/shared/errors.ts; anything else is returned as it is, so a code check on it fails). A call that does
// not fail fails the test.
import type { AppError } from '../src/shared/errors';

/** What `f` throws. */
export function thrownBy(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected an error');
}

/** What `p` rejects with; for a function, what it throws or its promise rejects with. */
export async function rejectionOf(p: Promise<unknown> | (() => unknown)): Promise<AppError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a rejection');
}
