// Splits text into the units a BERT-style (WordPiece) tokenizer sees before sub-word splitting: runs of
// letters/digits, single punctuation/symbol characters, and single CJK ideographs/kana/hangul syllables.
// Each unit keeps its character offsets into the original string, so a chunk built from a run of units
// maps back to the page text exactly.

export interface TextUnit {
  start: number; // offset of the first UTF-16 code unit
  end: number; // exclusive
  kind: 'word' | 'cjk' | 'punct';
}

/** Han, Hiragana, Katakana, Hangul (and their compatibility/extension blocks via Script properties). */
export const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

// A word is a run of letters, marks and digits that are not CJK; everything else that is not space is
// one punctuation unit (a whole code point, so surrogate pairs such as emoji stay together).
const UNIT = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{M}\p{N}])+)|([^\s\p{L}\p{M}\p{N}])/gu;

export function textUnits(text: string): TextUnit[] {
  const units: TextUnit[] = [];
  UNIT.lastIndex = 0;
  for (let m = UNIT.exec(text); m !== null; m = UNIT.exec(text)) {
    const kind = m[1] !== undefined ? 'cjk' : m[2] !== undefined ? 'word' : 'punct';
    units.push({ start: m.index, end: m.index + m[0].length, kind });
  }
  return MAY_JOIN_GRAPHEMES.test(text) ? joinedAtGraphemes(text, units) : units;
}

// Characters that can make one user-perceived character (grapheme cluster) out of several units: marks
// (a combining accent, a variation selector, a keycap), format characters (the zero-width joiner of 👨‍👩‍👧),
// conjoining Hangul jamo (decomposed 한), and anything outside the BMP (regional-indicator flags, emoji with
// skin-tone modifiers). Text without any of them has a grapheme boundary between every two units.
const MAY_JOIN_GRAPHEMES = /[\p{M}\p{Cf}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u{10000}-\u{10ffff}]/u;

let graphemeSegmenter: Intl.Segmenter | undefined;

/**
 * Units widened to grapheme-cluster boundaries (Intl.Segmenter), merging those that share a cluster, so that a
 * chunk cut between two units never splits a flag, an emoji sequence or a letter from its accent.
 */
function joinedAtGraphemes(text: string, units: TextUnit[]): TextUnit[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const starts: number[] = [];
  for (const g of graphemeSegmenter.segment(text)) starts.push(g.index);
  starts.push(text.length);
  // Index in `starts` of the largest cluster start ≤ i (binary search).
  const floorIndex = (i: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const floor = (i: number): number => starts[floorIndex(i)];
  const ceil = (i: number): number => {
    const k = floorIndex(i);
    return starts[k] === i ? i : starts[k + 1];
  };
  const out: TextUnit[] = [];
  for (const u of units) {
    const start = floor(u.start);
    const end = ceil(u.end);
    const prev = out[out.length - 1];
    if (prev !== undefined && start < prev.end) prev.end = Math.max(prev.end, end);
    else out.push({ start, end, kind: u.kind });
  }
  return out;
}

/** Characters that end a sentence; the chunker prefers to cut after one of these. */
export function isSentenceEnd(ch: string): boolean {
  return ch === '.' || ch === '!' || ch === '?' || ch === '。' || ch === '！' || ch === '？' || ch === ';' || ch === '；';
}
