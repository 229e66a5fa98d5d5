import { describe, expect, it } from 'vitest';
import { chunkPage, chunkPages } from '../../src/retrieval/chunker';
import { textUnits } from '../../src/retrieval/text-units';
import { estimatedWordPieceCounter, tokenizerCounter } from '../../src/retrieval/token-counter';
import type { PageText } from '../../src/retrieval/types';

const zen =
  'Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. ' +
  'Complex is better than complicated. Flat is better than nested. Sparse is better than dense. Readability counts. ' +
  "Special cases aren't special enough to break the rules. Although practicality beats purity. Errors should never pass silently. " +
  'Unless explicitly silenced. In the face of ambiguity, refuse the temptation to guess.';
const mixed = `愿景\n描述团队的共同目标，有利于团队成员理解目标并朝着目标努力。 😀 Résumé of naïve café: 3.14159 — “quotes” and 2,048 tokens.\n${zen}`;

function tokensOf(text: string): number {
  return textUnits(text).reduce((n, u) => n + estimatedWordPieceCounter.count(text.slice(u.start, u.end), u.kind), 0);
}

describe('chunker', () => {
  it('maps every chunk back to the page text exactly through its character offsets', () => {
    const page: PageText = { page: 7, label: 'vii', text: `  ${mixed}\n\n${mixed}  ` };
    const chunks = chunkPage('doc1', page, { chunkTokens: 24, overlapTokens: 6 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.text).toBe(page.text.slice(c.start, c.end));
      expect(c).toMatchObject({ docId: 'doc1', page: 7, label: 'vii' });
      expect(c.text.trim()).toBe(c.text); // starts and ends on a unit, never on whitespace
    }
    // Together the chunks cover every non-space character of the page.
    const covered = new Uint8Array(page.text.length);
    for (const c of chunks) covered.fill(1, c.start, c.end);
    for (let i = 0; i < page.text.length; i++) if (/\S/.test(page.text[i])) expect(covered[i], `char ${i}`).toBe(1);
  });

  it('keeps chunks within the token budget and overlaps consecutive chunks by about the overlap', () => {
    const page: PageText = { page: 1, label: '1', text: Array(12).fill(zen).join(' ') };
    const opts = { chunkTokens: 64, overlapTokens: 16 };
    const chunks = chunkPage('d', page, opts);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(tokensOf(c.text)).toBeLessThanOrEqual(64);
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i].start).toBeGreaterThan(chunks[i - 1].start); // always advances
      const shared = page.text.slice(chunks[i].start, Math.max(chunks[i].start, chunks[i - 1].end));
      expect(tokensOf(shared)).toBeLessThanOrEqual(16);
      expect(tokensOf(shared)).toBeGreaterThanOrEqual(8);
    }
  });

  it('prefers to cut after a sentence end', () => {
    const page: PageText = { page: 1, label: '1', text: Array(8).fill(zen).join(' ') };
    const chunks = chunkPage('d', page, { chunkTokens: 48, overlapTokens: 0 });
    const endsOnSentence = chunks.slice(0, -1).filter((c) => c.text.endsWith('.')).length;
    expect(endsOnSentence).toBe(chunks.length - 1);
  });

  it('counts tokens with the model tokenizer when one is given', () => {
    // A tokenizer that splits every 2 characters: chunks must become much shorter in characters.
    const twoCharPieces = { encode: (t: string) => Array.from({ length: Math.ceil(t.length / 2) }, (_, i) => i) };
    const counter = tokenizerCounter('test/two-char', twoCharPieces);
    expect(counter.count('abcdefg', 'word')).toBe(4);
    const page: PageText = { page: 1, label: '1', text: zen };
    const est = chunkPage('d', page, { chunkTokens: 32, overlapTokens: 0 });
    const exact = chunkPage('d', page, { chunkTokens: 32, overlapTokens: 0 }, counter);
    expect(exact.length).toBeGreaterThan(est.length);
  });

  it('never crosses a page and skips empty pages', () => {
    const chunks = chunkPages('d', [
      { page: 1, label: 'i', text: 'First page words.' },
      { page: 2, label: 'ii', text: '   ' },
      { page: 3, label: '1', text: 'Third page words.' },
    ]);
    expect(chunks.map((c) => [c.page, c.label, c.text])).toEqual([
      [1, 'i', 'First page words.'],
      [3, '1', 'Third page words.'],
    ]);
  });

  it('rejects nonsensical sizes with BAD_ARGUMENT', () => {
    expect(() => chunkPage('d', { page: 1, label: '1', text: zen }, { chunkTokens: 32, overlapTokens: 20 })).toThrow(/overlap/);
  });
});

describe('chunk cuts and grapheme clusters', () => {
  // Each of these is one user-perceived character made of several code points: a family (ZWJ sequence), a
  // flag (two regional indicators), a keycap, a skin-tone emoji, e + combining acute, a Han character with an
  // ideographic variation selector, and decomposed Hangul (한 as three conjoining jamo).
  const clusters = ['👨\u200d👩\u200d👧', '🇯🇵', '1\ufe0f\u20e3', '👍🏽', 'e\u0301', '葛\u{e0100}', '\u1112\u1161\u11ab'];
  const text = Array.from({ length: 40 }, (_, i) => `${clusters[i % clusters.length]}${clusters[(i + 3) % clusters.length]} w${i}.`).join(' ');
  const boundaries = new Set<number>([text.length]);
  for (const g of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) boundaries.add(g.index);

  it('gives every unit grapheme-cluster boundaries', () => {
    const units = textUnits(text);
    expect(units.length).toBeGreaterThan(80);
    for (const u of units) {
      expect(boundaries.has(u.start), `unit start ${u.start}`).toBe(true);
      expect(boundaries.has(u.end), `unit end ${u.end}`).toBe(true);
    }
    for (let i = 1; i < units.length; i++) expect(units[i].start).toBeGreaterThanOrEqual(units[i - 1].end);
  });

  it('never cuts a chunk inside a cluster, with small chunks that cut often', () => {
    const page: PageText = { page: 1, label: '1', text };
    const chunks = chunkPage('d', page, { chunkTokens: 8, overlapTokens: 2 });
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) {
      expect(boundaries.has(c.start), `chunk start ${c.start}`).toBe(true);
      expect(boundaries.has(c.end), `chunk end ${c.end}`).toBe(true);
      expect(c.text).toBe(text.slice(c.start, c.end));
    }
  });

  it('leaves text without joining characters as it was (ASCII, Chinese)', () => {
    const plain = '描述团队的共同目标 and plain words, 3.14.';
    expect(textUnits(plain).map((u) => plain.slice(u.start, u.end))).toEqual(['描', '述', '团', '队', '的', '共', '同', '目', '标', 'and', 'plain', 'words', ',', '3', '.', '14', '.']);
  });
});
