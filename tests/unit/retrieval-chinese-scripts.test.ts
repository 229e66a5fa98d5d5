// A question in Simplified Chinese about a manual in Traditional Chinese (and the other way round): both are
// indexed and asked as mainland Simplified (lexical-terms.ts, npm opencc-js twp → cn), Taiwan wording included
// (記憶體 / 内存, 原始碼 / 源代码). Simplified text is indexed as before. The measured effect on real manuals:
// `npm run eval:cross-script` (docs/RETRIEVAL.md).
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEXICAL } from '../../src/retrieval/lexical-config';
import { DEFAULT_TERM_OPTIONS, lexicalTerms } from '../../src/retrieval/lexical-terms';
import { mainlandSimplified } from '../../src/shared/chinese-script';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';

const TRADITIONAL_PAGES = [
  { page: 1, label: '1', text: '第一章 簡介。本手冊說明如何打包軟體。' },
  { page: 2, label: '2', text: '設定相容性等級：在 debian/control 檔案中宣告對 debhelper-compat 的建置相依，並寫明等級。' },
  { page: 3, label: '3', text: '記憶體不足時，請關閉其他程式，然後重新編譯原始碼。' },
];

describe('Chinese in either script', () => {
  it('Traditional characters and Taiwan phrases become mainland Simplified terms; Simplified text is unchanged', () => {
    expect(mainlandSimplified('記憶體與原始碼')).toBe('内存与源代码');
    expect(lexicalTerms('設定相容性等級')).toEqual(lexicalTerms('设置兼容性等级'));
    for (const s of ['如何设置兼容性级别', '软件包的源代码', '后来的干净著作']) expect(mainlandSimplified(s)).toBe(s);
    // Latin words and the option switched off are untouched.
    expect(lexicalTerms('debhelper compat 記憶體', { ...DEFAULT_TERM_OPTIONS, simplifiedChinese: false })).toContain('記憶');
    expect(lexicalTerms('debhelper compat')).toEqual(lexicalTerms('debhelper compat', { ...DEFAULT_TERM_OPTIONS, simplifiedChinese: false }));
  });

  it('a Simplified question finds its page in a Traditional manual (and not with the conversion off)', async () => {
    const on = await DocumentLibrary.open({ store: new MemoryStore() });
    await on.add('tw', 'manual-zh-tw.pdf', TRADITIONAL_PAGES);
    const off = await DocumentLibrary.open({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, simplifiedChinese: false } });
    await off.add('tw', 'manual-zh-tw.pdf', TRADITIONAL_PAGES);
    const memory = '内存不够的时候怎么办？';
    expect((await on.search(memory, { topK: 1 })).results[0]).toMatchObject({ page: 3, confident: true });
    expect((await off.search(memory, { topK: 3 })).results.filter((r) => r.confident && r.page === 3)).toEqual([]);
    // Its passage is shown as written: Traditional.
    expect((await on.search(memory, { topK: 1 })).results[0].text).toContain('記憶體不足');
    expect((await on.search('如何设置兼容性级别？', { topK: 1 })).results[0].page).toBe(2);
  });
});
