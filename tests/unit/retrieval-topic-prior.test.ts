// Topic continuity for follow-up questions (src/retrieval/topic-prior.ts) and the follow-up detector's
// antecedent rule (src/retrieval/follow-up-signal.ts).
import { describe, expect, it } from 'vitest';
import { PRIOR_REACH, topicContinues, topicPriorShares, withTopicPrior } from '../../src/retrieval/topic-prior';
import { followUpSignal } from '../../src/retrieval/follow-up-signal';
import { lexicalTerms } from '../../src/retrieval/lexical-terms';
import { DEFAULT_LEXICAL } from '../../src/retrieval/lexical-config';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import type { PageText } from '../../src/retrieval/types';

const key = (docId: string, page: number) => `${docId}\u0000${page}`;

describe('topic prior', () => {
  it('gives the previous pages strength / (rank + 1), halved per page of distance up to PRIOR_REACH, keeping the largest', () => {
    const s = topicPriorShares([{ docId: 'a', page: 10 }, { docId: 'a', page: 11 }, { docId: 'b', page: 3 }], 0.6);
    expect(s.get(key('a', 10))).toBeCloseTo(0.6, 12);
    expect(s.get(key('a', 11))).toBeCloseTo(0.3, 12); // its own rank-1 share (0.3) ties the neighbour of page 10 (0.3)
    expect(s.get(key('a', 9))).toBeCloseTo(0.3, 12);
    expect(s.get(key('a', 8))).toBeCloseTo(0.15, 12);
    expect(s.get(key('a', 12))).toBeCloseTo(0.15, 12); // max(0.6/4 from page 10, 0.3/2 from page 11)
    expect(s.get(key('b', 3))).toBeCloseTo(0.2, 12);
    expect(s.has(key('a', 10 - PRIOR_REACH - 1))).toBe(false);
    expect(s.has(key('c', 10))).toBe(false);
  });

  it("adds the share of the best score ('add') or scales the page's own score ('scale'), then re-sorts", () => {
    const hits = [
      { docId: 'a', chunk: 0, score: 10 },
      { docId: 'a', chunk: 1, score: 6 },
      { docId: 'a', chunk: 2, score: 1 },
    ];
    const pageOf = (h: { chunk: number }) => [40, 20, 21][h.chunk];
    const pages = [{ docId: 'a', page: 20 }];
    const add = withTopicPrior(hits, pages, pageOf, { followUpPagePrior: 0.5, followUpPriorFusion: 'add' });
    expect(add.map((h) => [h.chunk, h.score])).toEqual([
      [1, 11], // 6 + 0.5 · 10
      [0, 10],
      [2, 3.5], // 1 + 0.25 · 10
    ]);
    const scale = withTopicPrior(hits, pages, pageOf, { followUpPagePrior: 0.5, followUpPriorFusion: 'scale' });
    expect(scale.map((h) => [h.chunk, h.score])).toEqual([
      [0, 10],
      [1, 9], // 6 · 1.5
      [2, 1.25],
    ]);
  });

  it("takes a confident hit of the question's own words far from the previous pages for a change of topic", () => {
    const pages = [{ docId: 'a', page: 20 }];
    expect(topicContinues({ docId: 'a', page: 60, confident: true }, pages)).toBe(false);
    expect(topicContinues({ docId: 'b', page: 20, confident: true }, pages)).toBe(false);
    expect(topicContinues({ docId: 'a', page: 20 + PRIOR_REACH, confident: true }, pages)).toBe(true);
    expect(topicContinues({ docId: 'a', page: 60, confident: false }, pages)).toBe(true);
    expect(topicContinues(undefined, pages)).toBe(true);
  });
});

describe('DocumentLibrary.search: a follow-up answered on the page after the previous answer', () => {
  const filler = 'More remarks follow on this page, about many other things that are not relevant here at all.';
  const pages: PageText[] = [
    { page: 10, label: '10', text: `Graphics parameters. The par() function sets parameters such as the line type lty and the colour col for every later plot on the current device. ${filler}` },
    { page: 11, label: '11', text: `Calling par(col=4, lty=2) returns a list: oldpar <- par(col=4, lty=2) keeps the old settings, and par(oldpar) restores them. ${filler}` },
    { page: 30, label: '30', text: `Editor settings. Font settings, tab settings, margin settings and colour settings of the editor window. ${filler}` },
    { page: 50, label: '50', text: `Printing. Reports are printed with the print command and the printer settings chosen in the dialog. ${filler}` },
  ];
  const previous = { question: 'How do I change the line type and colour for every later plot?', pages: [{ docId: 'm', page: 10 }] };
  const q = 'Does it hand back the previous settings?';

  async function ranks(lexical = DEFAULT_LEXICAL, question = q) {
    const lib = new DocumentLibrary({ store: new MemoryStore(), lexical });
    await lib.add('m', 'm.pdf', pages);
    return (await lib.search(question, { topK: 4, history: [previous] })).results.map((r) => r.page);
  }

  it("ranks the page next to the previous turn's page above a page that only repeats a word of the question", async () => {
    const off = await ranks({ ...DEFAULT_LEXICAL, followUpPagePrior: 0 });
    expect(off.indexOf(30)).toBeLessThan(off.indexOf(11));
    expect(DEFAULT_LEXICAL.followUpPagePrior).toBeGreaterThan(0);
    const on = await ranks();
    expect(on.slice(0, 2).sort()).toEqual([10, 11]);
  });

  it('leaves a question whose own words confidently point elsewhere where they point (the gate)', async () => {
    const printer = 'Is it possible to print reports on the printer chosen in the dialog?'; // an early "it": taken for a follow-up
    expect(followUpSignal(printer, lexicalTerms(printer)).followUp).toBe(true);
    expect((await ranks(DEFAULT_LEXICAL, printer))[0]).toBe(50);
    expect((await ranks({ ...DEFAULT_LEXICAL, followUpPagePrior: 3, followUpPriorGate: false }, printer))[0]).not.toBe(50);
  });

  it("past the gate, still gives the previous turn's pages a place below what the own words find (fusion)", async () => {
    const printer = 'Is it possible to print reports on the printer chosen in the dialog?';
    const extra: PageText[] = [
      ...pages,
      { page: 12, label: '12', text: `Saved parameters can be shown in a dialog. ${filler}` },
      ...[60, 61, 62, 63, 64].map((page) => ({ page, label: String(page), text: `Dialog boxes. Every dialog has buttons, and a dialog can be closed with Escape. ${filler}` })),
    ];
    const order = async (lexical = DEFAULT_LEXICAL) => {
      const lib = new DocumentLibrary({ store: new MemoryStore(), lexical });
      await lib.add('m', 'm.pdf', extra);
      return (await lib.search(printer, { topK: 10, history: [previous] })).results.map((r) => r.page);
    };
    expect(DEFAULT_LEXICAL.followUpGateFusion).toBeGreaterThan(0);
    const fused = await order();
    const dropped = await order({ ...DEFAULT_LEXICAL, followUpGateFusion: 0 });
    expect(fused[0]).toBe(50);
    expect(dropped[0]).toBe(50);
    // Page 12 (next to the previous turn's page 10) only matches "dialog", like the dialog pages 60–64.
    expect(fused.indexOf(12)).toBeGreaterThan(0);
    expect(fused.indexOf(12)).toBeLessThan(dropped.indexOf(12) === -1 ? Infinity : dropped.indexOf(12));
    expect(fused.indexOf(12)).toBeLessThan(fused.indexOf(64));
  });
});

describe('follow-up detection: antecedents inside the question, continuations, Chinese length in words', () => {
  const signal = (q: string) => followUpSignal(q, lexicalTerms(q));

  it('does not count a pronoun that comes after its own antecedent', () => {
    expect(signal('Where in the search path does attaching a data frame put it?').followUp).toBe(false);
    expect(signal('How can I temporarily stop an object’s class from affecting how it is printed?').followUp).toBe(false);
    expect(signal('能不能从参考文献条目链接回引用它的正文？').followUp).toBe(false);
  });

  it('still counts an early pronoun, a "What if" opening, a trailing 呢 and a short Chinese question', () => {
    expect(signal('Can I combine it with old-style if/else without braces?')).toEqual({ followUp: true, reason: 'refers back' });
    expect(signal('Why would I pick the last of those?').reason).toBe('refers back');
    expect(signal('What if a record only has two numbers?')).toEqual({ followUp: true, reason: 'continues' });
    expect(signal('国内一般用它来表示什么？').reason).toBe('refers back');
    expect(signal('用另一种编译命令组合的话呢？').reason).toBe('refers back');
    expect(signal('装之前要先确认什么？')).toEqual({ followUp: true, reason: 'too short' });
    expect(signal('LaTeX 默认使用什么字符编码？').followUp).toBe(false);
  });

  it('counts a demonstrative that ends the question, and "afterwards", wherever they come', () => {
    expect(signal('Is there a minimum version I need for that?').reason).toBe('refers back');
    expect(signal('How do I put the old values back afterwards?').reason).toBe('refers back');
    expect(signal('Which packages does the installer download for those?').reason).toBe('refers back');
    expect(signal('Where in the search path does attaching a data frame put it?').followUp).toBe(false); // "it" at the end: not a demonstrative
    expect(signal('How do I check that the installed files are complete?').followUp).toBe(false); // "that" inside: a clause
  });

  it('counts comparisons and alternatives wherever they come, and 呢 closing a clause', () => {
    expect(signal('Can I lay out several separate plots in a grid on one page instead?').reason).toBe('refers back');
    expect(signal('Is there something similar for an angle between two lines?').reason).toBe('refers back');
    expect(signal("What's the equivalent command in gnuplot?").reason).toBe('refers back');
    expect(signal('Why is the second way so much slower?').reason).toBe('refers back');
    expect(signal('公式里的字体呢，有哪些 Unicode 的可以选？').reason).toBe('refers back');
    expect(signal('How do I draw the first element of a vector in red?').followUp).toBe(false); // "the first" + a noun of its own
    expect(signal('怎样设置纸张大小和页边距？').followUp).toBe(false);
  });
});
