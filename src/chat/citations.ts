// Citation markers in an answer: "[1]", "[2, 3]", "[1][4]" → source numbers, and text split into pieces.

export type AnswerPiece = { kind: 'text'; text: string } | { kind: 'cite'; n: number };

const CITE = /\[(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\]/g;

/** Splits text into plain pieces and citation pieces; numbers outside 1..sourceCount stay plain text. */
export function splitCitations(text: string, sourceCount: number): AnswerPiece[] {
  const out: AnswerPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(CITE)) {
    const nums = m[1].split(/\s*[,，]\s*/).map(Number);
    if (!nums.every((n) => n >= 1 && n <= sourceCount)) continue;
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
    for (const n of nums) out.push({ kind: 'cite', n });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/** Source numbers cited in the text, in order of first appearance. */
export function citedNumbers(text: string, sourceCount: number): number[] {
  const seen: number[] = [];
  for (const p of splitCitations(text, sourceCount)) if (p.kind === 'cite' && !seen.includes(p.n)) seen.push(p.n);
  return seen;
}
