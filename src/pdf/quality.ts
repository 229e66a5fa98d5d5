// Per-page quality of the raw text layer, judged before cleaning (cleaning would hide the symptoms).
import type { PageQuality } from './types';

/** Characters that a healthy text layer almost never contains: C0 controls (not tab/CR/LF), U+FFFD, private use. */
const JUNK = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFD\uE000-\uF8FF]/g;

/** Share of junk among non-space characters above which a page is 'garbled'. */
export const GARBLED_JUNK_RATIO = 0.25;

export interface QualityReport {
  quality: PageQuality;
  nonSpace: number;
  junk: number;
}

export function assessTextQuality(raw: string): QualityReport {
  const nonSpace = raw.replace(/\s+/g, '').length;
  const junk = raw.match(JUNK)?.length ?? 0;
  if (nonSpace === 0) return { quality: 'empty', nonSpace, junk };
  if (junk / nonSpace > GARBLED_JUNK_RATIO) return { quality: 'garbled', nonSpace, junk };
  return { quality: 'ok', nonSpace, junk };
}
