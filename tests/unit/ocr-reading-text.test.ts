// The OCR line of a document row (src/ui/ocr-reading-text.ts): one page being read, or several at once (one per
// OCR worker), with the percentage through those pages together, in English and Chinese.
import { describe, expect, it } from 'vitest';
import { ocrReadingText } from '../../src/ui/ocr-reading-text';
import { translate, type Lang } from '../../src/ui/i18n';
import type { DocRecord } from '../../src/ui/services/documents';

const row = (pages: number[], fraction: number, done: number, total: number) => ({ ocrReading: { pages, fraction }, progress: { done, total } }) as unknown as DocRecord;
const t = (lang: Lang) => (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate(lang, key, vars);

describe('OCR progress line', () => {
  it('names the page being read, or every page being read at once', () => {
    expect(ocrReadingText(row([3], 0.45, 2, 10), t('en'))).toBe('Recognising text (OCR): page 3, 2 of 10 done — 45%');
    expect(ocrReadingText(row([3, 4], 0.5 + 0.3, 2, 10), t('en'))).toBe('Recognising text (OCR): pages 3, 4, 2 of 10 done — 40%');
    expect(ocrReadingText(row([3, 4], 1.0, 2, 10), t('zh'))).toBe('正在识别文字（OCR）：第 3、4 页，已完成 2 / 10 — 50%');
    expect(ocrReadingText({ progress: { done: 0, total: 4 } } as unknown as DocRecord, t('en'))).toBe('Recognising text (OCR): page …, 0 of 4 done — 0%');
  });
});
