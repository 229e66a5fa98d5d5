// The language trial's rules (src/pdf/ocr-language-trial.ts), with readings given by a table: a confident first
// reading stands; an unsure one is read again with each alternative and the most confident wins, the guess on a
// tie; a page with almost no words, or readings that fail, leave the guess. The real readings are checked in
// tests/unit/pdf-ocr-cli.test.ts (Tesseract on generated scans) and e2e/ocr.spec.ts.
import { describe, expect, it } from 'vitest';
import { pickOcrLanguages, TRIAL_CONFIDENT, TRIAL_MIN_WORDS } from '../../src/pdf/ocr-language-trial';
import type { OcrLanguage, OcrPage } from '../../src/pdf/ocr-types';
import { AppError } from '../../src/shared/errors';

const page = (confidence: number, words = 20): OcrPage => ({
  page: 1, label: '1', text: 'x', quality: 'ok', source: 'ocr', languages: [], confidence, dpi: 300, width: 612, height: 792,
  words: Array.from({ length: words }, () => ({ text: 'w', x0: 0, y0: 0, x1: 1, y1: 1, confidence })),
});

/** A reader that answers from a table of confidences by language set, and records what it was asked. */
function reader(table: Record<string, OcrPage | null>) {
  const asked: string[] = [];
  const read = async (langs: OcrLanguage[]) => {
    asked.push(langs.join('+'));
    return table[langs.join('+')] ?? null;
  };
  return { read, asked };
}

describe('OCR language trial', () => {
  it('a confident first reading stands, with one reading', async () => {
    const { read, asked } = reader({ eng: page(96) });
    const t = await pickOcrLanguages(['eng'], read);
    expect(t).toMatchObject({ languages: ['eng'], readings: 1 });
    expect(t.page?.confidence).toBe(96);
    expect(asked).toEqual(['eng']);
  });

  it('an unsure reading is redone with each alternative and the most confident wins', async () => {
    const { read, asked } = reader({ eng: page(14), 'eng+chi_sim': page(75), 'eng+chi_tra': page(89) });
    expect(await pickOcrLanguages(['eng'], read)).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 3 });
    expect(asked).toEqual(['eng', 'eng+chi_sim', 'eng+chi_tra']);
    // From a Simplified guess the guess itself is not read twice.
    const again = reader({ 'eng+chi_sim': page(74), 'eng+chi_tra': page(90) });
    expect(await pickOcrLanguages(['chi_sim', 'eng'], again.read)).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 2 });
    expect(again.asked).toEqual(['eng+chi_sim', 'eng+chi_tra']);
  });

  it('the guess wins a tie and stays when every alternative is worse or fails', async () => {
    expect(await pickOcrLanguages(['eng'], reader({ eng: page(60), 'eng+chi_sim': page(60), 'eng+chi_tra': null }).read)).toMatchObject({ languages: ['eng'], readings: 3 });
    expect(await pickOcrLanguages(['eng'], reader({ eng: page(TRIAL_CONFIDENT - 1), 'eng+chi_sim': page(30), 'eng+chi_tra': page(40) }).read)).toMatchObject({ languages: ['eng'] });
  });

  it('a page with almost no words, or a failed first reading, leaves the guess after one reading', async () => {
    expect(await pickOcrLanguages(['eng'], reader({ eng: page(20, TRIAL_MIN_WORDS - 1), 'eng+chi_tra': page(90) }).read)).toMatchObject({ languages: ['eng'], readings: 1 });
    expect(await pickOcrLanguages(['eng'], reader({ 'eng+chi_tra': page(90) }).read)).toMatchObject({ languages: ['eng'], page: null, readings: 1 });
  });

  it('an alternative that cannot be read is passed over; a Cancel, or a failure of the guess itself, is thrown', async () => {
    const failing = (fail: string, code: 'OCR_FAILED' | 'ABORTED') => async (langs: OcrLanguage[]) => {
      if (langs.join('+') === fail) throw new AppError(code, 'no');
      return langs.join('+') === 'eng' ? page(20) : page(80);
    };
    expect(await pickOcrLanguages(['eng'], failing('eng+chi_sim', 'OCR_FAILED'))).toMatchObject({ languages: ['eng', 'chi_tra'], readings: 3 });
    await expect(pickOcrLanguages(['eng'], failing('eng+chi_sim', 'ABORTED'))).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(pickOcrLanguages(['eng'], failing('eng', 'OCR_FAILED'))).rejects.toMatchObject({ code: 'OCR_FAILED' });
  });
});
