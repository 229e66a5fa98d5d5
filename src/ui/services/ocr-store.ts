// Recognised pages kept with each document (IndexedDB, its own database), so a reload — or re-indexing for
// semantic search — never recognises a page again. One record per document: the languages it was
// recognised with and the pages so far (saved page by page, so a cancelled run keeps what it finished).
import type { OcrLanguage, OcrPage } from '../../pdf/ocr-types';
import { IdbStore } from '../../retrieval/idb-store';
import { MemoryStore, type KeyValueStore } from '../../retrieval/store';

export interface StoredOcr {
  /** The languages of the latest recognition (the set `pages` holds). */
  languages: OcrLanguage[];
  pages: Record<number, OcrPage>;
  /**
   * Pages recognised earlier in other languages, by language set ('eng', 'chi_sim+eng', …): kept when the
   * document is recognised again in new languages, so pages the new run has not redone yet (a Cancel, a
   * reload) keep their earlier text instead of losing it. At most the three language sets there are.
   */
  earlier?: Record<string, Record<number, OcrPage>>;
}

const keyOf = (languages: readonly OcrLanguage[]) => languages.join('+');

export class OcrStore {
  private db: KeyValueStore = new IdbStore('pdfchat-ocr', 'pages');

  /** The browser keeps no data for the site: recognised pages are kept in memory for this page only. */
  keepInMemory(): void {
    this.db = new MemoryStore();
  }
  /**
   * Writes are chained per document so page saves never overwrite each other within this tab. Across tabs they
   * are ordered by the document's lock (document-lock.ts): only the tab holding it recognises or removes the
   * document, and its saves are finished before it lets the lock go.
   */
  private readonly writes = new Map<string, Promise<void>>();

  async load(docId: string): Promise<StoredOcr | undefined> {
    await this.writes.get(docId);
    return this.db.get<StoredOcr>(docId);
  }

  /** Pages recognised with exactly these languages (others count as not recognised). */
  async pagesFor(docId: string, languages: readonly OcrLanguage[]): Promise<Map<number, OcrPage>> {
    const stored = await this.load(docId);
    const pages = stored ? (keyOf(stored.languages) === keyOf(languages) ? stored.pages : stored.earlier?.[keyOf(languages)]) : undefined;
    return new Map(Object.values(pages ?? {}).map((p) => [p.page, p]));
  }

  /** Pages recognised in other languages than these, the most recent recognition of each page first. */
  async pagesInOtherLanguages(docId: string, languages: readonly OcrLanguage[]): Promise<Map<number, OcrPage>> {
    const stored = await this.load(docId);
    const out = new Map<number, OcrPage>();
    if (!stored) return out;
    if (keyOf(stored.languages) !== keyOf(languages)) for (const p of Object.values(stored.pages)) out.set(p.page, p);
    for (const [key, pages] of Object.entries(stored.earlier ?? {})) {
      if (key === keyOf(languages)) continue;
      for (const p of Object.values(pages)) if (!out.has(p.page)) out.set(p.page, p);
    }
    return out;
  }

  savePage(docId: string, languages: readonly OcrLanguage[], page: OcrPage): Promise<void> {
    const run = (this.writes.get(docId) ?? Promise.resolve()).then(async () => {
      const stored = await this.db.get<StoredOcr>(docId);
      const key = keyOf(languages);
      let next: StoredOcr;
      if (!stored) next = { languages: [...languages], pages: { [page.page]: page } };
      else if (keyOf(stored.languages) === key) next = { ...stored, pages: { ...stored.pages, [page.page]: page } };
      else {
        // Another language set from now on: the current pages move to `earlier`, the new set's own earlier pages come back.
        const earlier = { ...(stored.earlier ?? {}), [keyOf(stored.languages)]: stored.pages };
        const mine = earlier[key] ?? {};
        delete earlier[key];
        next = { languages: [...languages], pages: { ...mine, [page.page]: page }, earlier };
      }
      await this.db.set(docId, next satisfies StoredOcr);
    });
    const settled = run.catch(() => undefined);
    this.writes.set(docId, settled);
    return run;
  }

  async remove(docId: string): Promise<void> {
    await this.writes.get(docId);
    await this.db.del(docId);
  }

  /**
   * Word boxes of one recognised page and how it was turned to be read (the page viewer highlights passages with
   * them), or null.
   */
  async page(docId: string, page: number): Promise<Pick<OcrPage, 'words' | 'turned'> | null> {
    const stored = await this.load(docId);
    if (!stored) return null;
    // The latest recognition of the page, else an earlier one (what the index holds for a page not redone).
    const found = stored.pages[page] ?? Object.values(stored.earlier ?? {}).find((pages) => pages[page])?.[page];
    return found ? { words: found.words, ...(found.turned ? { turned: found.turned } : {}) } : null;
  }
}

/** The app's one store (the documents service writes it, the page viewer reads word boxes from it). */
export const ocrStore = new OcrStore();
