// The OCR line of a document row while it is being recognised (DocumentItem.tsx).
import type { T } from './i18n';
import type { DocRecord } from './services/documents';

/** "page 3, …" or, while several OCR workers read at once, "pages 3, 4, …"; the percentage is through those pages together. */
export function ocrReadingText(doc: DocRecord, t: T): string {
  const pages = doc.ocrReading?.pages ?? [];
  const vars = { done: doc.progress?.done ?? 0, total: doc.progress?.total ?? 0, pct: Math.round(((doc.ocrReading?.fraction ?? 0) / Math.max(1, pages.length)) * 100) };
  if (pages.length > 1) return t('ocrRecognisingPages', { ...vars, pages: pages.join(t('listSeparator')) });
  return t('ocrRecognising', { ...vars, page: pages[0] ?? '…' });
}
