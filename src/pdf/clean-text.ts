// Cleaning of page text before it reaches the index: ligatures expanded, control/invisible characters gone,
// line-end hyphenation repaired, whitespace tidied.

/** Unicode presentation-form ligatures (U+FB00–U+FB06). */
const UNICODE_LIGATURES: Record<string, string> = {
  '\uFB00': 'ff',
  '\uFB01': 'fi',
  '\uFB02': 'fl',
  '\uFB03': 'ffi',
  '\uFB04': 'ffl',
  '\uFB05': 'st',
  '\uFB06': 'st',
};

// TeX fonts in the Cork (T1) encoding without a ToUnicode map come out of pdf.js (and poppler) with their
// raw codes, which sit in the C0 control range. The codes below are unambiguous in T1 text; ligatures are
// only restored where they touch a letter (e.g. "signi\x1Cer" → "signifier").
const T1_LIGATURES: Record<string, string> = { '\x1B': 'ff', '\x1C': 'fi', '\x1D': 'fl', '\x1E': 'ffi', '\x1F': 'ffl' };
const T1_PUNCTUATION: Record<string, string> = { '\x10': '\u201C', '\x11': '\u201D', '\x12': '\u201E', '\x15': '\u2013', '\x16': '\u2014' };

/** Characters that never carry meaning for search: C0/C1 controls (but tab/newline), BOM, zero-width marks, soft hyphen, U+FFFD, private use. */
const INVISIBLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u00AD\u200B-\u200D\u2060\uFEFF\uFFFD\uE000-\uF8FF]/g;

export interface CleanOptions {
  /** Map T1-encoded control codes (ligatures, quotes, dashes) to text (default true; meant for pages that are not garbled). */
  texControlCodes?: boolean;
}

export function expandLigatures(text: string): string {
  return text.replace(/[\uFB00-\uFB06]/g, (c) => UNICODE_LIGATURES[c]);
}

export function mapTexControlCodes(text: string): string {
  return text
    .replace(/(\p{L}?)([\x1B-\x1F])(\p{L}?)/gu, (m, before: string, code: string, after: string) =>
      before || after ? before + T1_LIGATURES[code] + after : m,
    )
    .replace(/[\x10-\x12\x15\x16]/g, (c) => T1_PUNCTUATION[c]);
}

/**
 * Joins words hyphenated at a line end ("rela-\ntionship" → "relationship"). A hyphen is kept when the
 * hyphenated form also occurs inside a line of the same text ("well-\nknown" stays when "well-known" appears).
 */
export function repairHyphenation(text: string): string {
  const inline = new Set<string>();
  for (const m of text.matchAll(/(\p{L}+)-(\p{L}+)/gu)) inline.add(`${m[1]}-${m[2]}`.toLowerCase());
  return text.replace(/(\p{L}+)[-\u2010\u00AD][ \t]*\n[ \t]*(\p{Ll}\p{L}*)/gu, (m, head: string, tail: string) => {
    if (inline.has(`${head}-${tail}`.toLowerCase())) return `${head}-${tail}`;
    return head + tail;
  });
}

/** Han and kana (not Hangul, which puts spaces between words). */
const CJK_CHAR = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u30FC]';
/** Three or more of them, each followed by one space: text set letter-spaced. */
const LETTER_SPACED_CJK = new RegExp(`(?:${CJK_CHAR} ){2,}${CJK_CHAR}`, 'gu');

/**
 * Closes up Chinese or Japanese text that pdf.js gives letter-spaced ("对 于 一 个 物 理 设 备"): a justified line
 * whose characters were spread, which pdf.js reads as a space between every two of them. Chinese puts no spaces
 * between words, so these are no word breaks; they would cut the text into single characters for search. Only runs
 * of three or more characters each one space apart are closed: a space between two words of a table row ("软件包
 * 流行度") stays.
 */
export function closeLetterSpacedCjk(line: string): string {
  return line.replace(LETTER_SPACED_CJK, (run) => run.replace(/ /g, ''));
}

export function cleanPageText(raw: string, opts: CleanOptions = {}): string {
  let text = raw.replace(/\r\n?/g, '\n');
  text = expandLigatures(text);
  if (opts.texControlCodes !== false) text = mapTexControlCodes(text);
  // Soft hyphens at a line end mark a hyphenation point: turn them into '-' so the repair below joins the word.
  text = text.replace(/\u00AD(?=[ \t]*\n)/g, '-');
  text = text.replace(INVISIBLE, '');
  text = text.replace(/[\u00A0\u2000-\u200A\u202F\u205F]/g, ' ');
  text = text.replace(/\t/g, ' ');
  text = repairHyphenation(text);
  text = text
    .split('\n')
    .map((line) => closeLetterSpacedCjk(line.replace(/ {2,}/g, ' ')).trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return text.trim();
}
