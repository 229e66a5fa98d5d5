// `cli extract --pdf FILE [--password PW] [--ocr [--ocr-lang eng|chi_sim|chi_tra|eng+chi_sim|eng+chi_tra]]`:
// prints {"pages": [{page, label, text, quality}], "warnings": [...]}; a page that prints nothing at all (a blank
// page: no OCR for it) also has "blank": true.
// With --ocr, pages without a text layer (and pages whose text layer is garbled) are recognised with Tesseract
// and every page says where its text came from: "source": "text" (pdf.js) or "ocr" (then also "confidence").
// Without --ocr-lang the PDF's own text decides (eng+chi_sim when it is Chinese, eng+chi_tra when that Chinese is
// Traditional: ocr-language-guess.ts); a scan with no text to judge by is read with eng, unless its first page
// reads better with eng+chi_sim or eng+chi_tra (ocr-language-trial.ts).
// Without --ocr a scan fails with NO_TEXT. Failures (PASSWORD_REQUIRED, BAD_PASSWORD, NO_TEXT, NOT_PDF,
// PDF_UNREADABLE, OCR_FAILED, ...) go through main.ts: {"error": {code, message}} and exit status 2.
import { AppError } from '../../shared/errors';
import { extractPdf } from '../../pdf/extract';
import { mergeOcrPages, pagesNeedingOcr } from '../../pdf/ocr-merge';
import { ocrLanguagesFromText } from '../../pdf/ocr-language-guess';
import { parseOcrLanguages, type OcrLanguage, type OcrPage, type OcrProgress } from '../../pdf/ocr-types';
import type { ExtractResult } from '../../pdf/types';
import { checkArgs, type CliArgs, type CommandSpec } from '../args';
import { readPdfArg } from '../pdf-file';

export const EXTRACT_SPEC: CommandSpec = {
  command: 'extract',
  flags: {
    pdf: { kind: 'string', required: true },
    password: { kind: 'string' },
    ocr: { kind: 'boolean' },
    'ocr-lang': { kind: 'string' },
  },
};

export async function run(given: CliArgs): Promise<void> {
  const args = checkArgs(given, EXTRACT_SPEC);
  const file = args.require('pdf');
  const data = await readPdfArg(file);
  const password = args.get('password');
  const ocr = args.has('ocr');
  if (args.has('ocr-lang') && !ocr) throw new AppError('BAD_ARGUMENT', '--ocr-lang needs --ocr.');
  const languages = languagesArg(args.get('ocr-lang'));
  const out = await (ocr ? extractWithOcr(data, password, languages) : extractText(data, password)).catch((e: unknown) => {
    // The app asks for the password; here it is a flag.
    if (e instanceof AppError && e.code === 'PASSWORD_REQUIRED') throw new AppError(e.code, `${e.message} Here: add --password PW.`, e.details);
    if (e instanceof AppError && e.code === 'BAD_PASSWORD') throw new AppError(e.code, `${e.message} (--password)`, e.details);
    throw e;
  });
  await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(out) + '\n', (err) => (err ? reject(err) : resolve())));
}

async function extractText(data: Uint8Array, password: string | undefined) {
  let result: ExtractResult;
  try {
    result = await extractPdf(data, password !== undefined ? { password } : {});
  } catch (e) {
    if (e instanceof AppError && e.code === 'NO_TEXT') throw new AppError('NO_TEXT', `${e.message} Or recognise it here: add --ocr (and --ocr-lang eng+chi_sim for Simplified Chinese, eng+chi_tra for Traditional).`);
    throw e;
  }
  return {
    pages: result.pages.map((p) => ({ page: p.page, label: p.label, text: p.text, quality: p.quality, ...(p.blank ? { blank: true } : {}) })),
    warnings: result.warnings,
  };
}

/** --ocr-lang; undefined when not given (then the PDF's own text decides, see extractWithOcr). */
function languagesArg(spec: string | undefined): OcrLanguage[] | undefined {
  if (spec === undefined) return undefined;
  try {
    return parseOcrLanguages(spec);
  } catch (e) {
    throw new AppError('BAD_ARGUMENT', `--ocr-lang: ${(e as Error).message}`);
  }
}

/** `chosen`: --ocr-lang; without it, the language of the PDF's own text (eng+chi_sim or eng+chi_tra when it is Chinese), else eng. */
async function extractWithOcr(data: Uint8Array, password: string | undefined, chosen: OcrLanguage[] | undefined) {
  let result: ExtractResult | null;
  try {
    result = await extractPdf(data, password !== undefined ? { password } : {});
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'NO_TEXT')) throw e;
    result = null; // a scan: recognise every page
  }
  const fromText = result ? ocrLanguagesFromText(result.pages) : null;
  let languages = chosen ?? fromText ?? ['eng'];
  // Loaded only here: the plain path never touches tesseract.js.
  const { ocrPdf, defaultOcrParallelism } = await import('../../pdf/ocr-node');
  let pageCount = result?.pageCount;
  let wanted = result ? pagesNeedingOcr(result, result.pageCount, { garbled: true }) : undefined;
  // A long scan takes minutes: on a terminal, say which page is being recognised (stderr; stdout stays JSON).
  const onProgress = process.stderr.isTTY
    ? (p: OcrProgress) => {
        if (p.stage === 'rendering') process.stderr.write(`OCR: page ${p.page} (${p.index} of ${p.count} done)\n`);
      }
    : undefined;
  const read = (langs: OcrLanguage[], pages: number[] | undefined) =>
    ocrPdf(data, { languages: langs, parallel: defaultOcrParallelism(), ...(pages ? { pages } : {}), ...(password !== undefined ? { password } : {}), ...(onProgress ? { onProgress } : {}) });
  // Nothing says which languages (no --ocr-lang, no text to judge by): the first pages read tell.
  let trialPages: OcrPage[] = [];
  if (!chosen && !fromText && (!wanted || wanted.length > 0)) {
    const { pickOcrLanguages, TRIAL_MAX_PAGES } = await import('../../pdf/ocr-language-trial');
    // (A scan's page count is known after its first reading; pages past the end are not read.)
    const first = wanted ?? Array.from({ length: TRIAL_MAX_PAGES }, (_, i) => i + 1);
    const trial = await pickOcrLanguages(languages, first, async (n, langs) => {
      const one = await read(langs, [n]);
      pageCount = one.pageCount;
      return one.pages[0] ?? null;
    });
    languages = trial.languages;
    trialPages = trial.pages;
    const kept = new Set(trialPages.map((p) => p.page));
    wanted = (wanted ?? Array.from({ length: pageCount ?? 0 }, (_, i) => i + 1)).filter((n) => !kept.has(n));
  }
  const rest = wanted && wanted.length === 0 ? { pages: [], failed: [], pageCount: pageCount ?? 0 } : await read(languages, wanted);
  const ocr = trialPages.length > 0 ? { ...rest, pages: [...trialPages, ...rest.pages].sort((a, b) => a.page - b.page) } : rest;
  const merged = mergeOcrPages(result, ocr.pages, result?.pageCount ?? ocr.pageCount, ocr.failed);
  const confidence = new Map(ocr.pages.map((p) => [p.page, p.confidence]));
  return {
    pages: merged.pages.map((p) => ({
      page: p.page,
      label: p.label,
      text: p.text,
      quality: p.quality,
      ...(p.blank ? { blank: true } : {}),
      source: p.source,
      ...(p.source === 'ocr' ? { confidence: confidence.get(p.page) ?? 0 } : {}),
    })),
    warnings: merged.warnings,
  };
}
