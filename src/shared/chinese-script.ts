// Traditional and Simplified Chinese, through npm opencc-js (its t2cn build: Traditional characters and Taiwan
// wording → mainland Simplified). Used by search (both scripts meet: lexical-terms.ts) and by OCR (which
// Chinese model reads a document: ocr-language-guess.ts).
import * as OpenCC from 'opencc-js/t2cn';

let toMainland: ((text: string) => string) | undefined;
/** Traditional characters and Taiwan phrases → mainland Simplified (Simplified text comes out as it went in). */
export function mainlandSimplified(text: string): string {
  toMainland ??= OpenCC.Converter({ from: 'twp', to: 'cn' });
  return toMainland(text);
}

let charToMainland: ((text: string) => string) | undefined;
const traditionalForm = new Map<string, boolean>();
/**
 * Whether one Han character is a Traditional form: mainland Simplified writes it otherwise (體 → 体, 這 → 这).
 * Characters both scripts share (的, 中, 文) are not.
 */
export function isTraditionalForm(ch: string): boolean {
  let known = traditionalForm.get(ch);
  if (known === undefined) {
    // Character by character (no Taiwan phrases), so that one character maps to one.
    charToMainland ??= OpenCC.Converter({ from: 't', to: 'cn' });
    known = charToMainland(ch) !== ch;
    traditionalForm.set(ch, known);
  }
  return known;
}
