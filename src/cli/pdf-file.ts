// Reads the PDF a command's --pdf names, with an error that says what is wrong with the path.
import { readFile } from 'node:fs/promises';
import { AppError } from '../shared/errors';

export async function readPdfArg(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('MISSING_FILE', `No such file: ${file}. Check the --pdf path.`);
    if (code === 'EISDIR') throw new AppError('BAD_ARGUMENT', `${file} is a folder, not a PDF. Pass the path of a .pdf file to --pdf.`);
    if (code === 'EACCES' || code === 'EPERM') throw new AppError('BAD_ARGUMENT', `No permission to read ${file}. Check the file's permissions, or copy it somewhere readable.`);
    throw new AppError('BAD_ARGUMENT', `Cannot read ${file}: ${(e as Error).message}`);
  }
}
