// `cli extract --pdf FILE [--password PW]`: prints {"pages": [{page, label, text, quality}], "warnings": [...]}.
// Failures (PASSWORD_REQUIRED, BAD_PASSWORD, NO_TEXT, NOT_PDF, PDF_UNREADABLE, ...) go through main.ts:
// {"error": {code, message}} and exit status 2.
import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors';
import { extractPdf } from '../../pdf/extract';
import type { CliArgs } from '../args';

export async function run(args: CliArgs): Promise<void> {
  const file = args.require('pdf');
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('MISSING_FILE', `No such file: ${file}. Check the --pdf path.`);
    throw new AppError('BAD_ARGUMENT', `Cannot read ${file}: ${(e as Error).message}`);
  }
  const password = args.get('password');
  const result = await extractPdf(data, password !== undefined ? { password } : {});
  const out = {
    pages: result.pages.map((p) => ({ page: p.page, label: p.label, text: p.text, quality: p.quality })),
    warnings: result.warnings,
  };
  await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(out) + '\n', (err) => (err ? reject(err) : resolve())));
}
