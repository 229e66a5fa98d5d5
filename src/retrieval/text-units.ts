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
  return units;
}

/** Characters that end a sentence; the chunker prefers to cut after one of these. */
export function isSentenceEnd(ch: string): boolean {
  return ch === '.' || ch === '!' || ch === '?' || ch === '。' || ch === '！' || ch === '？' || ch === ';' || ch === '；';
}
