// pdf.js failures → AppError codes a user can act on.
import { AppError } from '../shared/errors';

const PDF_HEADER = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"

/** True when "%PDF-" occurs in the first 1024 bytes (where readers accept it). */
export function hasPdfHeader(data: Uint8Array): boolean {
  const end = Math.min(data.length - PDF_HEADER.length, 1024);
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < PDF_HEADER.length; j++) if (data[i + j] !== PDF_HEADER[j]) continue outer;
    return true;
  }
  return false;
}

export function notPdfError(): AppError {
  return new AppError('NOT_PDF', 'This file is not a PDF (it has no %PDF header). Choose a .pdf file.');
}

export function abortedError(): AppError {
  return new AppError('ABORTED', 'PDF extraction was cancelled.');
}

/** Maps an error thrown by pdf.js while opening a document. */
export function mapOpenError(e: unknown, passwordGiven: boolean): AppError {
  if (e instanceof AppError) return e;
  const err = e as { name?: string; code?: number; message?: string } | undefined;
  if (err?.name === 'PasswordException') {
    // pdf.js PasswordResponses: 1 = NEED_PASSWORD, 2 = INCORRECT_PASSWORD.
    if (err.code === 2 || (passwordGiven && err.code !== 1)) {
      return new AppError('BAD_PASSWORD', 'The password is incorrect. Check it (passwords are case-sensitive) and try again.');
    }
    return new AppError('PASSWORD_REQUIRED', 'This PDF is password-protected. Enter its password to open it.');
  }
  if (err?.name === 'AbortException') return abortedError();
  const detail = err?.message ? ` (${err.message})` : '';
  return new AppError('PDF_UNREADABLE', `This PDF is too damaged to read${detail}. Try re-saving or repairing it with another PDF tool.`);
}
