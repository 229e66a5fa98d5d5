// Recognised pages kept with each document (IndexedDB, its own database), so a reload — or re-indexing for
// semantic search — never recognises a page again. One record per document: the languages it was
// recognised with and the pages so far (saved page by page, so a cancelled run keeps what it finished).
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { OcrLanguage, OcrPage, OcrWord } from '../../pdf/ocr-types';

export interface StoredOcr {
  languages: OcrLanguage[];
  pages: Record<number, OcrPage>;
}

export class OcrStore {
  private readonly db: UseStore = createStore('pdfchat-ocr', 'pages');
  /**
   * Writes are chained per document so page saves never overwrite each other within this tab. Across tabs they
   * are ordered by the document's lock (document-lock.ts): only the tab holding it recognises or removes the
   * document, and its saves are finished before it lets the lock go.
   */
  private readonly writes = new Map<string, Promise<void>>();

  async load(docId: string): Promise<StoredOcr | undefined> {
    await this.writes.get(docId);
    return get<StoredOcr>(docId, this.db);
  }

  /** Pages recognised with exactly these languages (others count as not recognised). */
  async pagesFor(docId: string, languages: readonly OcrLanguage[]): Promise<Map<number, OcrPage>> {
    const stored = await this.load(docId);
    if (!stored || stored.languages.join('+') !== languages.join('+')) return new Map();
    return new Map(Object.values(stored.pages).map((p) => [p.page, p]));
  }

  savePage(docId: string, languages: readonly OcrLanguage[], page: OcrPage): Promise<void> {
    const run = (this.writes.get(docId) ?? Promise.resolve()).then(async () => {
      const stored = await get<StoredOcr>(docId, this.db);
      const same = stored && stored.languages.join('+') === languages.join('+');
      const pages = same ? stored.pages : {};
      await set(docId, { languages: [...languages], pages: { ...pages, [page.page]: page } } satisfies StoredOcr, this.db);
    });
    const settled = run.catch(() => undefined);
    this.writes.set(docId, settled);
    return run;
  }

  async remove(docId: string): Promise<void> {
    await this.writes.get(docId);
    await del(docId, this.db);
  }

  /** Word boxes of one recognised page (the page viewer highlights passages with them), or null. */
  async words(docId: string, page: number): Promise<OcrWord[] | null> {
    const stored = await this.load(docId);
    return stored?.pages[page]?.words ?? null;
  }
}

/** The app's one store (the documents service writes it, the page viewer reads word boxes from it). */
export const ocrStore = new OcrStore();
