// Citation markers in an answer → source numbers, and text split into pieces. Models write them in many forms:
// "[1]", "[2, 3]", "[1][4]", ranges "[1-3]", CJK brackets and digits "【1】", "［１］", "[1；2]" (Chinese-tuned
// models), labelled "[Source 1]", "[Sources 1, 2]", "[^1]". Numbers outside 1..sourceCount are not links: a
// marker naming only such numbers stays text as written, and a valid number beside one still links.

export type AnswerPiece = { kind: 'text'; text: string } | { kind: 'cite'; n: number };

const NUM = '[0-9０-９]{1,3}';
const RANGE = '\\s*[-–—~～]\\s*';
const SEP = '(?:\\s*[,，、;；]\\s*|\\s+)';
const ITEM = `${NUM}(?:${RANGE}${NUM})?`;
const LABEL = '(?:\\^|(?:sources?|refs?|references?|来源|资料|参考)\\s*)?';
const CITE = new RegExp(`[\\[【［〔]\\s*${LABEL}(${ITEM}(?:${SEP}${ITEM})*)\\s*[\\]】］〕]`, 'giu');
/** A range longer than this is not a citation ("[1-100]" is more likely a quoted interval). */
const MAX_RANGE = 20;

function toNumber(digits: string): number {
  return Number(digits.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)));
}

/** The numbers a marker's list names, in order (a range a-b gives a..b), or null when it is not a citation list. */
function numbersOf(list: string): number[] | null {
  const out: number[] = [];
  for (const item of list.split(new RegExp(SEP, 'u'))) {
    const [a, b] = item.split(new RegExp(RANGE, 'u')).map(toNumber);
    if (b === undefined) out.push(a);
    else if (b > a && b - a < MAX_RANGE) for (let n = a; n <= b; n++) out.push(n);
    else return null;
  }
  return out;
}

/** Splits text into plain pieces and citation pieces. */
export function splitCitations(text: string, sourceCount: number): AnswerPiece[] {
  const out: AnswerPiece[] = [];
  let last = 0;
  const plain = (t: string) => {
    const prev = out[out.length - 1];
    if (prev?.kind === 'text') prev.text += t;
    else out.push({ kind: 'text', text: t });
  };
  for (const m of text.matchAll(CITE)) {
    const nums = numbersOf(m[1]);
    const valid = nums?.filter((n) => n >= 1 && n <= sourceCount) ?? [];
    if (valid.length === 0) continue; // not a citation of these sources: left as written
    if (m.index > last) plain(text.slice(last, m.index));
    for (const n of nums!) {
      if (n >= 1 && n <= sourceCount) out.push({ kind: 'cite', n });
      else plain(`[${n}]`); // a number beyond the sources: shown, not linked
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) plain(text.slice(last));
  return out;
}

/** Source numbers cited in the text, in order of first appearance. */
export function citedNumbers(text: string, sourceCount: number): number[] {
  const seen: number[] = [];
  for (const p of splitCitations(text, sourceCount)) if (p.kind === 'cite' && !seen.includes(p.n)) seen.push(p.n);
  return seen;
}
