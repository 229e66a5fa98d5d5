import { describe, expect, it } from 'vitest';
import { chunkContexts, pageTextsFromChunks } from '../../src/retrieval/passage-context';
import { isNavigationPage } from '../../src/retrieval/navigation-pages';
import { chunkPage } from '../../src/retrieval/chunker';
import type { PageText } from '../../src/retrieval/types';

const body = (n: number) => Array.from({ length: n }, (_, i) => `Sentence number ${i} of the body text goes here.`).join(' ');

describe('passage context', () => {
  const pages: PageText[] = [
    { page: 1, label: '1', text: `Chapter 1: Basics 3\n1.10 Diverting output to a file\n${body(12)}\nFigure 2: The sink pipeline.\n${body(4)}\n4\nOutput can also be a pipe.` },
    { page: 2, label: '2', text: `Chapter 1: Basics 4\n${body(12)}\n1.11 Data permanency\n${body(6)}` },
  ];
  const chunks = pages.flatMap((p) => chunkPage('d', p, { chunkTokens: 64, overlapTokens: 8 }));
  const texts = pageTextsFromChunks(chunks);
  const ctx = chunkContexts(chunks, texts);

  it('rebuilds each page text from its overlapping chunks', () => {
    expect(texts.get(1)).toBe(pages[0].text);
    expect(texts.get(2)).toBe(pages[1].text);
  });

  it('gives each chunk its running head, its section heading (carried over a page break), captions and footnotes', () => {
    const page1 = chunks.map((c, i) => ({ c, i })).filter(({ c }) => c.page === 1);
    expect(page1.length).toBeGreaterThan(1);
    for (const { i } of page1) {
      expect(ctx[i]).toContain('Chapter 1: Basics 3');
      expect(ctx[i]).toContain('Figure 2: The sink pipeline.');
      expect(ctx[i]).toContain('Output can also be a pipe.');
    }
    expect(ctx[page1[page1.length - 1].i]).toContain('1.10 Diverting output to a file');
    const page2 = chunks.map((c, i) => ({ c, i })).filter(({ c }) => c.page === 2);
    expect(ctx[page2[0].i]).toContain('1.10 Diverting output to a file'); // the section goes on
    expect(ctx[page2[page2.length - 1].i]).toContain('1.11 Data permanency');
    expect(ctx[page2[0].i]).not.toContain('Figure 2');
  });

  it('does not take numbered code lines, sentences or contents lines for headings', () => {
    const code: PageText = { page: 1, label: '1', text: `Title\n1 sudo tlmgr update --list\n2.1 This is a sentence.\n3.2 Intro . . . . . . 7\n${body(3)}` };
    const cs = chunkPage('c', code, { chunkTokens: 256, overlapTokens: 8 });
    expect(chunkContexts(cs, pageTextsFromChunks(cs))).toEqual(['Title']);
  });

  it('recognises tables of contents and indexes as navigation pages', () => {
    const toc = Array.from({ length: 10 }, (_, i) => `${i + 1}.2 Some heading . . . . . . . ${i + 10}`).join('\n');
    const index = Array.from({ length: 10 }, (_, i) => `entry${i}, ${i + 3}, ${i + 20}`).join('\n');
    expect(isNavigationPage(`Contents\n${toc}`)).toBe(true);
    expect(isNavigationPage(`Index\n${index}`)).toBe(true);
    expect(isNavigationPage(body(20))).toBe(false);
    expect(isNavigationPage(Array.from({ length: 10 }, (_, i) => `${i + 10} "-pdf",`).join('\n'))).toBe(false); // a numbered listing
  });
});
