// The language trial's rules (src/pdf/ocr-language-trial.ts), with readings given by a table: a confident first
// reading stands; an unsure one is read again with each alternative and the most confident wins if it is confident,
// the guess on a tie; a page that says too little (a cover's title, a blank sheet) or that no set reads confidently
// (speckle) passes the question to the next page, up to TRIAL_MAX_PAGES; readings that fail leave the guess. The
// real readings are checked in tests/unit/pdf-ocr-cli.test.ts (Tesseract on generated scans) and e2e/ocr.spec.ts.
import { describe, expect, it } from 'vitest';
import { pickOcrLanguages, TRIAL_CONFIDENT, TRIAL_MAX_PAGES, TRIAL_MIN_WORDS } from '../../src/pdf/ocr-language-trial';
import type { OcrLanguage, OcrPage } from '../../src/pdf/ocr-types';
import { AppError } from '../../src/shared/errors';

const reading = (page: number, confidence: number, words = 20): OcrPage => ({
  page, label: String(page), text: 'x', quality: 'ok', source: 'ocr', languages: [], confidence, dpi: 300, width: 612, height: 792,
  words: Array.from({ length: words }, () => ({ text: 'w', x0: 0, y0: 0, x1: 1, y1: 1, confidence })),
});

type Table = Record<number, Record<string, [confidence: number, words?: number] | null>>;

/** A reader that answers from a table of (confidence, words) by page and language set, and records what it was asked. */
function reader(table: Table) {
  const asked: string[] = [];
  const read = async (page: number, langs: OcrLanguage[]) => {
    asked.push(`${page}:${langs.join('+')}`);
    const r = table[page]?.[langs.join('+')];
    return r ? reading(page, r[0], r[1]) : null;
  };
  return { read, asked };
}

describe('OCR language trial', () => {
  it('a confident first reading stands, with one reading', async () => {
    const { read, asked } = reader({ 1: { eng: [96] } });
    const t = await pickOcrLanguages(['eng'], [1, 2, 3], read);
    expect(t).toMatchObject({ languages: ['eng'], readings: 1 });
    expect(t.pages.map((p) => [p.page, p.confidence])).toEqual([[1, 96]]);
    expect(asked).toEqual(['1:eng']);
  });

  it('an unsure reading is redone with each alternative and the most confident wins', async () => {
    const { read, asked } = reader({ 1: { eng: [14], 'eng+chi_sim': [75], 'eng+chi_tra': [89] } });
    const t = await pickOcrLanguages(['eng'], [1, 2], read);
    expect(t).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 3 });
    expect(t.pages.map((p) => [p.page, p.confidence])).toEqual([[1, 89]]);
    expect(asked).toEqual(['1:eng', '1:eng+chi_sim', '1:eng+chi_tra']);
    // From a Simplified guess the guess itself is not read twice.
    const again = reader({ 1: { 'eng+chi_sim': [74], 'eng+chi_tra': [90] } });
    expect(await pickOcrLanguages(['chi_sim', 'eng'], [1], again.read)).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 2 });
    expect(again.asked).toEqual(['1:eng+chi_sim', '1:eng+chi_tra']);
  });

  it('a first page that says too little (a cover title, a blank sheet) passes the question to the next page', async () => {
    const { read, asked } = reader({ 2: { eng: [20, TRIAL_MIN_WORDS - 1] }, 3: { eng: [14], 'eng+chi_sim': [74], 'eng+chi_tra': [90] } });
    const t = await pickOcrLanguages(['eng'], [2, 3, 4], read);
    expect(t.languages).toEqual(['eng', 'chi_tra']);
    expect(asked).toEqual(['2:eng', '3:eng', '3:eng+chi_sim', '3:eng+chi_tra']);
    // Only what was read with the winner is kept: the cover is read again with it.
    expect(t.pages.map((p) => p.page)).toEqual([3]);
    // When the guess wins, the thin page it read is kept too.
    const english = reader({ 1: { eng: [40, 1] }, 2: { eng: [95] } });
    expect((await pickOcrLanguages(['eng'], [1, 2], english.read)).pages.map((p) => p.page)).toEqual([1, 2]);
  });

  it('a page no set reads confidently (speckle read as words in every language) passes the question on too', async () => {
    const { read, asked } = reader({ 1: { eng: [18], 'eng+chi_sim': [22], 'eng+chi_tra': [15] }, 2: { eng: [21], 'eng+chi_sim': [75], 'eng+chi_tra': [89] } });
    const t = await pickOcrLanguages(['eng'], [1, 2, 3], read);
    expect(t.languages).toEqual(['eng', 'chi_tra']);
    expect(t.pages.map((p) => [p.page, p.confidence])).toEqual([[1, 15], [2, 89]]);
    expect(asked).toHaveLength(6);
  });

  it(`after ${TRIAL_MAX_PAGES} pages with no confident reading, the best mean confidence wins; pages after them are not read`, async () => {
    const unsure = { eng: [40], 'eng+chi_sim': [60], 'eng+chi_tra': [55] } as Record<string, [number]>;
    const { read, asked } = reader({ 1: unsure, 2: { eng: [20, 1] }, 3: { eng: [50], 'eng+chi_sim': [52], 'eng+chi_tra': [70] }, 4: { eng: [99] } });
    const t = await pickOcrLanguages(['eng'], [1, 2, 3, 4], read);
    // Means over the judged pages 1 and 3: eng 45, chi_sim 56, chi_tra 62.5.
    expect(t.languages).toEqual(['eng', 'chi_tra']);
    expect(asked.some((a) => a.startsWith('4:'))).toBe(false);
    // Nothing judged (no page had words): the guess.
    const empty = reader({ 1: { eng: [0, 0] }, 2: { eng: [30, 2] } });
    expect((await pickOcrLanguages(['eng'], [1, 2], empty.read)).languages).toEqual(['eng']);
  });

  it('the guess wins a tie and stays when every alternative is worse or fails', async () => {
    expect(await pickOcrLanguages(['eng'], [1], reader({ 1: { eng: [60], 'eng+chi_sim': [60], 'eng+chi_tra': null } }).read)).toMatchObject({ languages: ['eng'], readings: 3 });
    expect(await pickOcrLanguages(['eng'], [1], reader({ 1: { eng: [TRIAL_CONFIDENT - 1], 'eng+chi_sim': [30], 'eng+chi_tra': [40] } }).read)).toMatchObject({ languages: ['eng'] });
  });

  it('a page that could not be rendered is passed over; a page with almost no words is not judged', async () => {
    expect(await pickOcrLanguages(['eng'], [1], reader({ 1: { eng: [20, TRIAL_MIN_WORDS - 1], 'eng+chi_tra': [90] } }).read)).toMatchObject({ languages: ['eng'], readings: 1 });
    const t = await pickOcrLanguages(['eng'], [1, 2], reader({ 2: { eng: [92] } }).read);
    expect(t).toMatchObject({ languages: ['eng'], readings: 2 });
    expect(t.pages.map((p) => p.page)).toEqual([2]);
  });

  it('an alternative that cannot be read is passed over (and not asked again); a Cancel, or a failure of the guess itself, is thrown', async () => {
    const asked: string[] = [];
    const failing = (fail: string, code: 'OCR_FAILED' | 'ABORTED') => async (page: number, langs: OcrLanguage[]) => {
      asked.push(`${page}:${langs.join('+')}`);
      if (langs.join('+') === fail) throw new AppError(code, 'no');
      return langs.join('+') === 'eng' ? reading(page, 20) : reading(page, page === 1 ? 30 : 80);
    };
    expect(await pickOcrLanguages(['eng'], [1, 2], failing('eng+chi_sim', 'OCR_FAILED'))).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 5 });
    expect(asked).toEqual(['1:eng', '1:eng+chi_sim', '1:eng+chi_tra', '2:eng', '2:eng+chi_tra']);
    await expect(pickOcrLanguages(['eng'], [1], failing('eng+chi_sim', 'ABORTED'))).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(pickOcrLanguages(['eng'], [1], failing('eng', 'OCR_FAILED'))).rejects.toMatchObject({ code: 'OCR_FAILED' });
  });
});
