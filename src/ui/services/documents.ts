// The app's document side: add PDFs (extract in the pdf worker, index in the retrieval library), keep
// them across reloads (a record per document, and apart from it the PDF's bytes, in IndexedDB; the library keeps
// its own index keyed by the same content hash), remove them, and search the selected ones.
import type { Passage } from '../../chat/types';
import { AppError, type ErrorCode } from '../../shared/errors';
import type { ExtractedPage, ExtractResult } from '../../pdf/types';
import { mergeOcrPages, pagesNeedingOcr } from '../../pdf/ocr-merge';
import { tesseractOrder, type OcrLanguage, type OcrPage } from '../../pdf/ocr-types';
import { documentOcrLanguages, ocrLanguagesFromText } from '../../pdf/ocr-language-guess';
import { pickOcrLanguages } from '../../pdf/ocr-language-trial';
import { contentHash } from '../../retrieval/content-hash';
import { isQuotaError, refusedWriteReason } from '../../store/backend';
import { IdbStore } from '../../retrieval/idb-store';
import { MemoryStore, type KeyValueStore } from '../../retrieval/store';
import { DocumentLibrary, type ConversationTurn } from '../../retrieval/library';
import type { EmbedderProvider } from '../../retrieval/embedder';
import type { SearchMode } from '../../retrieval/types';
import { Observable } from '../state/observable';
import { extractInWorker } from './extract-pdf';
import { BytesCache } from './bytes-cache';
import { ocrStore } from './ocr-store';
import { ifDocumentFree, withDocumentLock } from './document-lock';
import { countPages, defaultOcrLanguages, releaseOtherRecognisers, runOcr } from './ocr-runner';

export type DocStatus = 'extracting' | 'recognising' | 'indexing' | 'ready' | 'needs-password' | 'failed';

/** Documents a question would search (DocumentsService.searchScope). */
export interface SearchScope {
  ready: number;
  reading: number;
  unselected: number;
  /** Of the `ready` ones: searched by their text pages while their other pages are still being recognised (OCR). */
  recognising?: number;
  /** Of the `ready` ones: searched by keywords while their vectors (semantic search) are still being computed. */
  keywordsOnly?: number;
}

export interface DocRecord {
  docId: string; // sha256 of the PDF bytes
  name: string;
  size: number;
  pageCount: number;
  status: DocStatus;
  progress?: { done: number; total: number };
  garbledPages: number[];
  emptyPages: number[];
  warnings: string[];
  /**
   * What the browser refused to store for this document (its record, recognised pages): shown in its row, since
   * unlike `warnings` (whose garbled and empty pages the row shows from garbledPages / emptyPages) nothing else says it.
   * Not stored itself: after a reload the work is redone and says it again if need be.
   */
  storageWarnings?: string[];
  error?: { code: string; message: string };
  /** A password was tried and was wrong. */
  badPassword?: boolean;
  selected: boolean;
  addedAt: number;
  /** Pages whose text was recognised by OCR (ocr-store.ts keeps their text and word boxes). */
  ocrPages?: number[];
  /** Pages still to recognise after a Cancel (recognise() resumes them). */
  ocrPending?: number[];
  /** OCR languages chosen for this document; unset = from the UI language (defaultOcrLanguages) and the document's own text (ocrLanguagesFromText). */
  ocrLanguages?: OcrLanguage[];
  /** The user asked to recognise the garbled pages too. */
  ocrGarbled?: boolean;
  /**
   * While 'recognising': the pages being recognised now (several OCR workers read at once: ocr-parallelism.ts), in
   * page order, and how far Tesseract is through them together (the sum of their fractions, 0..pages).
   */
  ocrReading?: { pages: number[]; fraction: number };
  /**
   * Not ready yet, but searched already: its text pages were indexed before its pages without text are
   * recognised (OCR), so a long PDF with a few scanned pages is not held back by them. Not stored.
   */
  searchable?: boolean;
}

/** Whether a question searches this document (when selected): it is ready, or its text pages are indexed already. */
export function isSearchable(d: Pick<DocRecord, 'status' | 'searchable'>): boolean {
  return d.status === 'ready' || (d.searchable === true && d.status !== 'failed' && d.status !== 'needs-password');
}

export interface DocumentsState {
  ready: boolean;
  docs: DocRecord[];
  mode: { mode: SearchMode; reason: string } | null;
  /** Files of the last drop or pick that were not added, and why (shown until dismissed or the next add). */
  notices: FileNotice[];
  /**
   * The browser keeps no data for this site (IndexedDB refused: storage blocked in the site settings, a private
   * window, a damaged profile, a full disk), so documents are kept in memory for this page only. Why, in its words.
   */
  storageProblem?: { reason: string };
}

/**
 * A file that was not added: not a PDF, unreadable, the same content as a document already there, or one the
 * browser refused to store (`not-stored`: QUOTA_EXCEEDED when its storage is full, else the write's own code).
 */
export interface FileNotice {
  name: string;
  kind: 'not-pdf' | 'unreadable' | 'duplicate' | 'not-stored';
  code?: ErrorCode;
  message: string;
}

/** Whether a picked or dropped file is taken for a PDF (by type or name; the content is checked when it is read). */
export function looksLikePdf(f: { name: string; type: string }): boolean {
  return f.type === 'application/pdf' || /\.pdf$/i.test(f.name);
}

/**
 * A document's stored record (database `pdfchat-pdfs`, store `pdfs`, key = docId). Its PDF is stored apart
 * (`pdfchat-pdf-bytes` / `bytes`, same key: a Blob), written once, so that a change to the record (status,
 * selection, OCR pages) never writes the whole file again. `bytes` is only in a record stored by an earlier
 * version, which kept the file in the record: migratePdfBytes moves it out at start-up.
 */
interface StoredDoc {
  record: DocRecord;
  bytes?: Blob;
}

/** What store() did with a file: listed and stored it, found the same content already here, or could not store it. */
type StoreOutcome = { kind: 'added'; docId: string } | { kind: 'duplicate'; docId: string; sameAs: string } | { kind: 'not-stored'; docId: string; error: AppError };

/** The error for a PDF (`name`) the browser would not store: QUOTA_EXCEEDED with what to free when its storage is full. */
function notStoredError(name: string, e: unknown): AppError {
  if (isQuotaError(e)) {
    return new AppError('QUOTA_EXCEEDED', `${name} could not be stored: the browser's storage for this site is full. Remove some documents or downloaded models, or free disk space, then add it again.`);
  }
  const err = AppError.from(e);
  return new AppError(err.code, `${name} could not be stored in the browser (${refusedWriteReason(e)}). Add it again; if it keeps failing, reload the page.`, err.details);
}

export class DocumentsService {
  readonly state = new Observable<DocumentsState>({ ready: false, docs: [], mode: null, notices: [] });
  private library: DocumentLibrary | null = null;
  /** Records (StoredDoc) by docId. In memory when the browser keeps no data for the site (storageProblem). */
  private files: KeyValueStore = new IdbStore('pdfchat-pdfs', 'pdfs');
  /** The PDFs' bytes (Blob) by docId, written once when a document is added. */
  private pdfBytes: KeyValueStore = new IdbStore('pdfchat-pdf-bytes', 'bytes');
  /** Recently used PDFs' bytes (bounded; the files are in IndexedDB). */
  private readonly bytesCache = new BytesCache();
  /** Documents removed (here or in another tab) since this page loaded and not added again: their file is gone, or going. */
  private readonly removedIds = new Set<string>();
  private readonly passwords = new Map<string, string>();
  private readonly ocrRuns = new Map<string, AbortController>();
  /** The latest process() run per document (a run that is no longer the latest stops at its next step). */
  private readonly runs = new Map<string, number>();
  /** Indexing in progress per document (remove() aborts it). */
  private readonly indexRuns = new Map<string, AbortController>();
  /** Text extraction in progress per document (remove() aborts it: the PDF reader stops at its next page). */
  private readonly extractRuns = new Map<string, AbortController>();
  /** Runs of this tab holding or waiting for a document's lock (a wait for none of them is a wait for another tab). */
  private readonly lockUsers = new Map<string, number>();
  /**
   * Tells the other tabs of an addition (they list the document and take what this tab stores for it) and of a
   * removal (they stop their work on the document and drop it).
   */
  private readonly channel: BroadcastChannel | null = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('pdfchat-documents') : null;

  /** `embedders`: where dense vectors come from (SemanticSearch in the app); none = keyword search only. */
  constructor(private readonly embedders?: EmbedderProvider) {
    if (this.channel) this.channel.onmessage = (e: MessageEvent<{ removed?: string; added?: string }>) => {
      if (typeof e.data?.removed === 'string') this.removedElsewhere(e.data.removed);
      if (typeof e.data?.added === 'string') void this.addedElsewhere(e.data.added);
    };
  }

  private initOnce: Promise<void> | null = null;
  /** Loads persisted state; safe to call more than once. */
  init(): Promise<void> {
    return (this.initOnce ??= this.doInit());
  }

  private async doInit(): Promise<void> {
    const embedders = this.embedders ? { embedders: this.embedders } : {};
    let fileIds: Set<string>;
    let stored: StoredDoc[];
    try {
      this.library = await DocumentLibrary.open({ store: new IdbStore(), ...embedders });
      // (Opening the file database here creates it, so that its own overhead is taken before any document is added.)
      fileIds = new Set(await this.pdfBytes.keys());
      stored = (await Promise.all((await this.files.keys()).map((k) => this.files.get<StoredDoc>(k)))).filter((d): d is StoredDoc => Boolean(d));
    } catch (e) {
      // No IndexedDB for this site: documents work in memory for this page, and the panel says they will not be kept.
      this.files = new MemoryStore();
      this.pdfBytes = new MemoryStore();
      ocrStore.keepInMemory();
      this.library = await DocumentLibrary.open({ store: new MemoryStore(), ...embedders });
      this.state.set({ ready: true, docs: [], mode: null, notices: [], storageProblem: { reason: refusedWriteReason(e) } });
      await this.refreshMode();
      return;
    }
    await this.migratePdfBytes(stored);
    // Files with no record: left by a tab closed between the file's write and its record's. Deleted unless a tab
    // holds that document's lock (store() writes both under it).
    const recorded = new Set(stored.map((d) => d.record.docId));
    for (const id of fileIds) {
      if (!recorded.has(id)) await ifDocumentFree(id, async () => {
        if ((await this.files.get<StoredDoc>(id)) === undefined) await this.pdfBytes.del(id);
      }).catch(() => undefined);
    }
    const docs = stored
      .map((d) => d.record)
      // A document interrupted by a reload mid-extraction is re-run below.
      .sort((a, b) => a.addedAt - b.addedAt);
    // Indexes with no document record: written by a tab after another one removed the document. Deleted unless a
    // tab holds that document's lock (it may be adding the document right now: its record is read again under the lock).
    // Done before the list is shown, so a ready app searches none of them.
    await this.library.removeOrphans({
      hasRecord: async (id) => (await this.files.get<StoredDoc>(id)) !== undefined,
      lock: async (id, work) => void (await ifDocumentFree(id, work)),
    }).catch(() => undefined);
    this.state.set({ ready: true, docs, mode: null, notices: [] });
    // A document the library lacks was interrupted by a reload: mid-extraction, or mid-re-index (OCR again, new
    // languages) while its record still said ready. It is run again, so nothing shows "ready" unsearchable.
    // An index of the text pages only (the tab was closed while the other pages were being recognised) is searched
    // meanwhile, and the recognition is run again (pages it finished are stored and not recognised again).
    for (const d of docs) if (d.status !== 'failed' && d.status !== 'needs-password' && (!this.library.has(d.docId) || this.library.isPartial(d.docId))) void this.process(d.docId);
    else if (d.status !== 'ready' && this.library.has(d.docId)) this.patchDoc(d.docId, { status: 'ready', progress: undefined });
    await this.refreshMode();
    // In the background, when the current model is at hand (else they stay keyword-only, saying why): documents
    // whose stored vectors came from another embedding model or profile are embedded again from their stored
    // chunks, and so are documents stored without vectors while semantic search was on elsewhere — added by a tab
    // that still had it off, or while the embedder failed — so none stays keyword-only until the switch is toggled.
    void this.library.embedLexicalOnly().then((n) => (n > 0 ? this.refreshMode() : undefined), () => undefined);
  }

  private patchDoc(docId: string, p: Partial<DocRecord>, persist = false): void {
    this.state.update((s) => ({ ...s, docs: s.docs.map((d) => (d.docId === docId ? { ...d, ...p } : d)) }));
    if (persist) void this.persist(docId).catch((e: unknown) => this.unsaved(docId, e));
  }

  /** The document's record could not be written (storage full, say): it says so, as it is read again after a reload. */
  private unsaved(docId: string, e: unknown): void {
    const rec = this.doc(docId);
    if (!rec) return;
    const why = isQuotaError(e) ? "the browser's storage for this site is full" : refusedWriteReason(e);
    this.storageWarning(docId, `The state of this document could not be saved in the browser (${why}), so it will be read again after a reload. Free some storage (remove documents or models).`);
  }

  /** Says in the document's row (once) what the browser refused to store for it. */
  private storageWarning(docId: string, warning: string): void {
    const shown = this.doc(docId)?.storageWarnings ?? [];
    if (!shown.includes(warning)) this.patchDoc(docId, { storageWarnings: [...shown, warning] });
  }

  private doc(docId: string): DocRecord | undefined {
    return this.state.get().docs.find((d) => d.docId === docId);
  }

  private async persist(docId: string): Promise<void> {
    const rec = this.doc(docId);
    const prev = await this.files.get<StoredDoc>(docId);
    if (!rec || !prev) return;
    if (prev.bytes) await this.pdfBytes.set(docId, prev.bytes); // an earlier version's record: its file moves out first
    await this.files.set(docId, { record: { ...rec, progress: undefined, storageWarnings: undefined, searchable: undefined } } satisfies StoredDoc);
  }

  /**
   * Records stored by an earlier version hold their PDF: each file is written apart, then its record without
   * it (in that order, so that a reload in between loses nothing). A file that cannot be moved (storage full)
   * stays where it is and is read from there (bytes()); the move is tried again at the next start. A document
   * another tab is working on is left to that tab: its next record write (persist) moves the file.
   */
  private async migratePdfBytes(stored: StoredDoc[]): Promise<void> {
    for (const d of stored) {
      if (!d.bytes) continue;
      const docId = d.record.docId;
      await ifDocumentFree(docId, async () => {
        const now = await this.files.get<StoredDoc>(docId);
        if (!now?.bytes) return; // moved meanwhile (another tab) or removed
        await this.pdfBytes.set(docId, now.bytes);
        await this.files.set(docId, { record: now.record } satisfies StoredDoc);
      }).catch(() => undefined);
    }
  }

  /**
   * Adds dropped or picked files: every PDF is listed and stored at once (so a reload while the first one is
   * still being read or recognised loses none), then they are read one after another. Files that are not PDFs,
   * cannot be read, or repeat a document already here are reported in `notices`, never dropped silently.
   */
  async addFiles(files: File[]): Promise<void> {
    const notices: FileNotice[] = [];
    const added: string[] = [];
    for (const f of files) {
      if (!looksLikePdf(f)) {
        notices.push({ name: f.name, kind: 'not-pdf', code: 'NOT_PDF', message: `${f.name} is not a PDF. Only PDF files can be added.` });
        continue;
      }
      try {
        const got = await this.store(f);
        if (got.kind === 'added') added.push(got.docId);
        else if (got.kind === 'not-stored') notices.push({ name: f.name, kind: 'not-stored', code: got.error.code, message: got.error.message });
        else notices.push({ name: f.name, kind: 'duplicate', message: `${f.name} is already in your documents${got.sameAs !== f.name ? ` (as ${got.sameAs})` : ''}: the same content is not added twice.` });
      } catch (e) {
        const err = AppError.from(e);
        notices.push({ name: f.name, kind: 'unreadable', code: 'PDF_UNREADABLE', message: `${f.name} could not be read (${err.message}). Check the file and add it again.` });
      }
    }
    this.state.update((s) => ({ ...s, notices }));
    for (const docId of added) await this.process(docId);
  }

  /** Clears the notices about files that were not added. */
  dismissNotices(): void {
    this.state.update((s) => ({ ...s, notices: [] }));
  }

  /**
   * Lists and stores one file (status "extracting"). The same content already here is a `duplicate`; a file the
   * browser will not store is `not-stored` with the reason, and is not listed (nothing of it was kept).
   */
  private async store(file: File): Promise<StoreOutcome> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const docId = await contentHash(bytes);
    const existing = this.doc(docId);
    // Adding again a document that failed is a retry: the failed record goes, the file is taken afresh.
    if (existing?.status === 'failed') await this.remove(docId);
    else if (existing) return { kind: 'duplicate', docId, sameAs: existing.name };
    const record: DocRecord = { docId, name: file.name, size: bytes.byteLength, pageCount: 0, status: 'extracting', garbledPages: [], emptyPages: [], warnings: [], selected: true, addedAt: Date.now() };
    this.state.update((s) => ({ ...s, docs: [...s.docs, record] }));
    this.removedIds.delete(docId);
    this.bytesCache.set(docId, bytes);
    // Another tab added the same file a moment ago (before its announcement arrived): its stored record is taken,
    // not overwritten with a fresh one (which would lose what that tab found and recognised), and process() then
    // takes that tab's work. A failed record is overwritten: adding the file again is a retry.
    const storedElsewhere = async () => {
      const stored = await this.files.get<StoredDoc>(docId);
      if (!stored || stored.record.status === 'failed') return false;
      this.state.update((s) => ({ ...s, docs: s.docs.map((d) => (d.docId === docId ? { ...stored.record, progress: undefined } : d)) }));
      return true;
    };
    try {
      if (await storedElsewhere()) return { kind: 'added', docId };
      // The file first, then its record (a record is never without its file), both under the document's lock
      // so that a start-up in another tab does not take the file for one left without a record.
      const adopted = await this.locked(docId, async () => {
        if (await storedElsewhere()) return true;
        try {
          await this.pdfBytes.set(docId, new Blob([bytes]));
          await this.files.set(docId, { record } satisfies StoredDoc);
        } catch (e) {
          await this.pdfBytes.del(docId).catch(() => undefined);
          throw e;
        }
        return false;
      });
      if (adopted) return { kind: 'added', docId };
    } catch (e) {
      this.state.update((s) => ({ ...s, docs: s.docs.filter((d) => d.docId !== docId) }));
      this.bytesCache.delete(docId);
      return { kind: 'not-stored', docId, error: notStoredError(file.name, e) };
    }
    this.channel?.postMessage({ added: docId });
    return { kind: 'added', docId };
  }

  async unlock(docId: string, password: string): Promise<void> {
    this.passwords.set(docId, password);
    await this.process(docId);
  }

  /**
   * Extracts and indexes a stored document, holding its lock (document-lock.ts), so that two tabs never do the
   * work twice: a tab that finds another one at it waits (showing the stored status), then takes what that tab
   * stored. `reindex`: the stored index is dropped first (OCR again, other languages).
   */
  private async process(docId: string, opts: { reindex?: boolean } = {}): Promise<void> {
    if (!this.doc(docId)) return;
    // Not shown ready (nor failed) while it is being worked on, here or, while this waits, in another tab. An index
    // of its text pages only (isPartial) is searched meanwhile.
    this.patchDoc(docId, { status: 'extracting', error: undefined, badPassword: false, progress: undefined, searchable: !opts.reindex && this.library?.isPartial(docId) ? true : undefined });
    await this.locked(docId, async (elsewhere) => {
      if (opts.reindex) await this.library!.remove(docId);
      else if (await this.adoptStored(docId, elsewhere)) return;
      await this.processLocked(docId);
      // The record is written before the lock is let go: a tab waiting for it reads the outcome.
      if (this.doc(docId)) await this.persist(docId).catch((e: unknown) => this.unsaved(docId, e));
    });
    await this.refreshMode();
  }

  /** withDocumentLock, telling `work` whether the lock was held by another tab (not by a run of this one). */
  private async locked<T>(docId: string, work: (elsewhere: boolean) => Promise<T>): Promise<T> {
    const here = (this.lockUsers.get(docId) ?? 0) > 0;
    this.lockUsers.set(docId, (this.lockUsers.get(docId) ?? 0) + 1);
    try {
      return await withDocumentLock(docId, (waited) => work(waited && !here));
    } finally {
      const n = (this.lockUsers.get(docId) ?? 1) - 1;
      if (n > 0) this.lockUsers.set(docId, n);
      else this.lockUsers.delete(docId);
    }
  }

  /**
   * Takes what is stored for the document instead of working on it again: its index when one is stored (another
   * tab indexed it, maybe after this tab's library was opened), or, after waiting for another tab, the outcome it
   * stored (failed, needs a password). A document that tab removed is dropped here too. Returns whether it did.
   */
  private async adoptStored(docId: string, elsewhere: boolean): Promise<boolean> {
    if (!this.doc(docId)) return true; // removed meanwhile
    const stored = await this.files.get<StoredDoc>(docId);
    if (!stored) {
      if (elsewhere) this.dropDoc(docId);
      return elsewhere;
    }
    const fromStore = (p: Partial<DocRecord>) => this.patchDoc(docId, { ...stored.record, selected: this.doc(docId)?.selected ?? stored.record.selected, progress: undefined, ocrReading: undefined, ...p });
    if (await this.library!.load(docId)) {
      if (!this.library!.isPartial(docId)) {
        fromStore({ status: 'ready', error: undefined, searchable: undefined });
        return true;
      }
      // Only its text pages: searched while this tab recognises the rest (a tab that was at it has closed).
      this.patchDoc(docId, { searchable: true });
    }
    if (elsewhere && (stored.record.status === 'failed' || stored.record.status === 'needs-password')) {
      fromStore({});
      return true;
    }
    return false;
  }

  private async processLocked(docId: string): Promise<void> {
    const rec = this.doc(docId);
    if (!rec) return;
    // The latest run of a document is the one that counts: a remove (or a remove and add again) while this one
    // is still reading the PDF leaves it nothing to do.
    const run = (this.runs.get(docId) ?? 0) + 1;
    this.runs.set(docId, run);
    const current = () => this.runs.get(docId) === run && this.doc(docId) !== undefined;
    this.patchDoc(docId, { status: 'extracting', error: undefined, badPassword: false, progress: undefined });
    const password = this.passwords.get(docId);
    let pages: ExtractedPage[];
    let bytes: Uint8Array;
    let res: ExtractResult | null = null;
    const extracting = new AbortController();
    this.extractRuns.set(docId, extracting);
    try {
      bytes = await this.bytes(docId);
      res = await extractInWorker(bytes, {
        ...(password !== undefined ? { password } : {}),
        signal: extracting.signal,
        onProgress: (p) => { if (current()) this.patchDoc(docId, { progress: { done: p.page, total: p.pageCount }, pageCount: p.pageCount }); },
      }).catch((e: unknown) => {
        // A scan: every page is recognised below.
        if (AppError.from(e).code === 'NO_TEXT') return null;
        throw e;
      });
      if (res && current()) this.patchDoc(docId, {
        pageCount: res.pageCount,
        garbledPages: res.pages.filter((p) => p.quality === 'garbled').map((p) => p.page),
        emptyPages: res.pages.filter((p) => p.quality === 'empty' && !p.blank).map((p) => p.page),
        warnings: res.warnings,
      });
    } catch (e) {
      if (!current()) return; // a later run (or a remove) speaks for the document now
      const err = AppError.from(e);
      if (err.code === 'PASSWORD_REQUIRED' || err.code === 'BAD_PASSWORD') {
        this.patchDoc(docId, { status: 'needs-password', badPassword: err.code === 'BAD_PASSWORD', progress: undefined }, true);
      } else {
        this.patchDoc(docId, { status: 'failed', error: { code: err.code, message: err.message }, progress: undefined }, true);
      }
      return;
    } finally {
      if (this.extractRuns.get(docId) === extracting) this.extractRuns.delete(docId);
    }
    if (!current()) return; // removed (or added again) while its text was being extracted: no OCR for it
    try {
      pages = await this.recognise(docId, bytes, res, password, rec.name);
    } catch (e) {
      if (!current()) return;
      const err = AppError.from(e);
      await this.dropPartialIndex(docId);
      this.patchDoc(docId, { status: 'failed', error: { code: err.code, message: err.message }, progress: undefined, ocrReading: undefined }, true);
      return;
    }
    if (!current()) return; // removed (or added again) while its text was being recognised
    try {
      // In place of an index of its text pages only (written before OCR): their chunks keep their vectors.
      await this.indexPages(docId, rec.name, pages);
      this.patchDoc(docId, { status: 'ready', progress: undefined, searchable: undefined }, true);
    } catch (e) {
      if (!current()) return; // removed (or added again) while it was being indexed: nothing to report
      const err = AppError.from(e);
      await this.dropPartialIndex(docId);
      this.patchDoc(docId, { status: 'failed', error: { code: err.code, message: err.message }, progress: undefined }, true);
    }
  }

  /**
   * Indexes a document's usable pages in place of what the library holds for it, showing progress; searched by
   * keywords as soon as they are chunked (with semantic search on, while the vectors are computed). `pendingPages`:
   * pages still to be recognised (the index is partial). Removing the document stops it (embedding can take a
   * while); the library never keeps it.
   */
  private async indexPages(docId: string, name: string, pages: readonly ExtractedPage[], pendingPages?: number[]): Promise<void> {
    this.patchDoc(docId, { status: 'indexing', progress: { done: 0, total: 1 } });
    const indexing = new AbortController();
    this.indexRuns.set(docId, indexing);
    try {
      const usable = pages.filter((p) => p.quality === 'ok').map((p) => ({ page: p.page, label: p.label, text: p.text }));
      await this.library!.add(docId, name, usable, {
        replace: true,
        ...(pendingPages ? { pendingPages } : {}),
        signal: indexing.signal,
        onProgress: (p) => this.patchDoc(docId, { progress: { done: p.loaded, total: p.total || 1 } }),
        onKeywordIndexed: () => this.patchDoc(docId, { searchable: true }),
      });
    } finally {
      if (this.indexRuns.get(docId) === indexing) this.indexRuns.delete(docId);
    }
  }

  /**
   * OCR of the pages without text (all pages of a scan; the garbled ones too when the user asked), reusing
   * pages recognised before with the same languages. Returns the document's pages with recognised text in
   * place. A Cancel keeps the pages finished so far (and lists the rest in ocrPending).
   */
  private async recognise(docId: string, bytes: Uint8Array, res: ExtractResult | null, password: string | undefined, name: string): Promise<ExtractedPage[]> {
    const rec = this.doc(docId);
    // Unless chosen: the UI language's, plus Chinese when the document's own text is Chinese (a scanned cover of a
    // Chinese manual, read in an English UI), in the script of that text.
    const fromText = ocrLanguagesFromText(res?.pages ?? []);
    let languages = tesseractOrder(rec?.ocrLanguages ?? documentOcrLanguages(defaultOcrLanguages(), fromText));
    // Nothing chose them (no setting, no text to judge by): the first page read tells (ocr-language-trial.ts).
    const byTrial = !rec?.ocrLanguages && fromText === null;
    const pageCount = res?.pageCount ?? (await countPages(bytes, password));
    const need = pagesNeedingOcr(res, pageCount, { garbled: Boolean(rec?.ocrGarbled) });
    if (res && need.length === 0) {
      this.patchDoc(docId, { ocrPages: [], ocrPending: undefined });
      return res.pages;
    }
    // The languages a document is first recognised in are its own from then on: a later re-index (a Cancel's
    // leftovers, semantic search, a reload) reuses its stored pages even after the UI language changed.
    if (!rec?.ocrLanguages) this.patchDoc(docId, { ocrLanguages: languages }, true);
    const done = await ocrStore.pagesFor(docId, languages);
    const todo = need.filter((n) => !done.has(n));
    let failed: number[] = [];
    let cancelled = false;
    /** Each recognised page is stored as it comes; pages the browser refused to store are reported. */
    const saves: Promise<void>[] = [];
    const unsaved: number[] = [];
    // A PDF with text on most pages is searchable before its other pages are recognised.
    if (todo.length > 0 && res) await this.indexTextPagesFirst(docId, name, res, need.map((n) => done.get(n)).filter((p): p is OcrPage => Boolean(p)), pageCount, todo);
    if (todo.length > 0) {
      const controller = new AbortController();
      this.ocrRuns.set(docId, controller);
      this.patchDoc(docId, { status: 'recognising', pageCount, progress: { done: 0, total: todo.length }, ocrReading: { pages: [todo[0]], fraction: 0 }, ocrPending: undefined });
      const keep = (p: OcrPage) => {
        done.set(p.page, p);
        if (this.doc(docId)) saves.push(ocrStore.savePage(docId, languages, p).catch(() => void unsaved.push(p.page)));
      };
      // `offset`: pages of `todo` already read before these (the progress counts over all of them).
      const read = (pages: number[], langs: OcrLanguage[], offset: number, onPage?: (p: OcrPage) => void) => {
        /** Pages being read now (by page number): how far through each. */
        const reading = new Map<number, number>();
        return runOcr(bytes, {
          pages,
          languages: langs,
          ...(password !== undefined ? { password } : {}),
          signal: controller.signal,
          onProgress: (p) => {
            if (p.stage === 'done') reading.delete(p.page);
            else reading.set(p.page, p.pageFraction);
            const now = [...reading.keys()].sort((a, b) => a - b);
            const fraction = [...reading.values()].reduce((a, b) => a + b, 0);
            this.patchDoc(docId, { progress: { done: offset + p.index + (p.stage === 'done' ? 1 : 0), total: todo.length }, ocrReading: { pages: now.length ? now : [p.page], fraction } });
          },
          ...(onPage ? { onPage } : {}),
        });
      };
      try {
        let left = todo;
        if (byTrial && done.size === 0) {
          // (Progress: a trial page counts where it stands in `todo`.)
          const trial = await pickOcrLanguages(languages, todo, async (n, langs) => (await read([n], langs, todo.indexOf(n))).pages[0] ?? null);
          if (trial.languages.join('+') !== languages.join('+')) {
            languages = trial.languages;
            this.patchDoc(docId, { ocrLanguages: languages }, true);
          }
          if (trial.readings > 1) releaseOtherRecognisers(languages);
          // The pages the trial read with the chosen languages are kept; the rest (pages it read with a set that lost too).
          for (const p of trial.pages) keep(p);
          const kept = new Set(trial.pages.map((p) => p.page));
          left = todo.filter((n) => !kept.has(n));
        }
        if (left.length > 0) failed = (await read(left, languages, todo.length - left.length, keep)).failed;
      } catch (e) {
        if (AppError.from(e).code !== 'ABORTED') {
          await Promise.all(saves); // written before the document's lock is let go
          throw e;
        }
        cancelled = true;
      } finally {
        this.ocrRuns.delete(docId);
      }
    }
    await Promise.all(saves);
    const pending = cancelled ? need.filter((n) => !done.has(n)) : [];
    // Pages this run did not redo (a Cancel after the languages changed) keep the text of their earlier
    // recognition until they are redone: re-recognising in other languages never makes a page unsearchable.
    const earlier = pending.length ? await ocrStore.pagesInOtherLanguages(docId, languages) : new Map<number, OcrPage>();
    const recognised = need.map((n) => done.get(n) ?? earlier.get(n)).filter((p): p is OcrPage => Boolean(p));
    this.patchDoc(docId, { ocrReading: undefined, ocrPending: pending.length ? pending : undefined, pageCount });
    let merged: ReturnType<typeof mergeOcrPages>;
    try {
      merged = mergeOcrPages(res, recognised, pageCount, failed);
    } catch (e) {
      if (cancelled) throw new AppError('NO_TEXT', 'Text recognition (OCR) was cancelled before any text was found. Recognise the text to search this PDF.');
      throw e;
    }
    this.patchDoc(docId, {
      garbledPages: merged.pages.filter((p) => p.quality === 'garbled').map((p) => p.page),
      emptyPages: merged.pages.filter((p) => p.quality === 'empty' && !p.blank).map((p) => p.page),
      ocrPages: merged.pages.filter((p) => p.source === 'ocr' && p.quality === 'ok').map((p) => p.page),
      warnings: merged.warnings,
    });
    if (unsaved.length) {
      this.storageWarning(docId, `The recognised text of page${unsaved.length > 1 ? 's' : ''} ${unsaved.sort((a, b) => a - b).join(', ')} could not be stored in this browser: it is searchable now but will be recognised again after a reload. Free some storage (remove documents or models).`);
    }
    return merged.pages;
  }

  /**
   * Indexes the pages that have text (and pages recognised in an earlier run) before OCR starts on `pending`, so
   * that they are searched while it runs; the index says which pages are pending (library isPartial), and is
   * replaced once they are recognised. Nothing is indexed when no page has text yet (a scan).
   */
  private async indexTextPagesFirst(docId: string, name: string, res: ExtractResult, recognised: OcrPage[], pageCount: number, pending: number[]): Promise<void> {
    let pages: ExtractedPage[];
    try {
      pages = mergeOcrPages(res, recognised, pageCount).pages;
    } catch {
      return; // no text at all yet
    }
    if (!pages.some((p) => p.quality === 'ok')) return;
    await this.indexPages(docId, name, pages, pending);
    this.patchDoc(docId, { searchable: true });
  }

  /** A document that failed keeps no index of its text pages only (after a reload it would be taken for ready). */
  private async dropPartialIndex(docId: string): Promise<void> {
    this.patchDoc(docId, { searchable: undefined });
    if (this.library?.isPartial(docId)) await this.library.remove(docId).catch(() => undefined);
  }

  /** Stops the OCR run of a document inside the page being recognised; what was finished is kept. */
  cancelOcr(docId: string): void {
    this.ocrRuns.get(docId)?.abort();
  }

  /**
   * Recognises a document's text again: the pages a Cancel left, the garbled pages (`garbled`), or every
   * page without text in other languages (`languages`; pages recognised in other languages are redone).
   */
  async recognisePages(docId: string, opts: { garbled?: boolean; languages?: OcrLanguage[] } = {}): Promise<void> {
    const rec = this.doc(docId);
    if (!rec || rec.status === 'extracting' || rec.status === 'recognising' || rec.status === 'indexing') return;
    this.patchDoc(docId, { ...(opts.garbled ? { ocrGarbled: true } : {}), ...(opts.languages ? { ocrLanguages: opts.languages } : {}) }, true);
    await this.process(docId, { reindex: true });
  }

  /** Chooses the OCR languages of a document (re-recognising it when it already has OCR'd pages). */
  async setOcrLanguages(docId: string, languages: OcrLanguage[]): Promise<void> {
    const rec = this.doc(docId);
    if (!rec) return;
    if (rec.ocrPages?.length || rec.ocrPending?.length || rec.status === 'failed') await this.recognisePages(docId, { languages });
    else this.patchDoc(docId, { ocrLanguages: languages }, true);
  }

  /**
   * Removes a document: its work here stops, other tabs are told to stop theirs, and its stored data is deleted
   * under its lock, so an index another tab is still writing is deleted after it, never left behind.
   */
  async remove(docId: string): Promise<void> {
    this.dropDoc(docId);
    this.passwords.delete(docId);
    this.channel?.postMessage({ removed: docId });
    await this.locked(docId, async () => {
      await this.library?.remove(docId);
      await this.files.del(docId);
      await this.pdfBytes.del(docId);
      await ocrStore.remove(docId);
    });
    await this.refreshMode();
  }

  /** Stops this tab's work on a document and drops it from the list and the in-memory index (the store is untouched). */
  private dropDoc(docId: string): void {
    this.runs.set(docId, (this.runs.get(docId) ?? 0) + 1);
    this.cancelOcr(docId);
    this.indexRuns.get(docId)?.abort();
    this.extractRuns.get(docId)?.abort();
    this.state.update((s) => ({ ...s, docs: s.docs.filter((d) => d.docId !== docId) }));
    this.bytesCache.delete(docId);
    this.removedIds.add(docId);
    this.library?.forget(docId);
  }

  /**
   * Another tab added a document: it is listed here too (from its stored record, in the order documents were
   * added) and processed like one found at start-up — this tab waits for the other tab's lock and takes the
   * index it stores, or, when the other tab has not started on it yet, does the work itself (the other tab then
   * takes what this one stored). Either way the document is read once, and searchable in every open tab.
   */
  private async addedElsewhere(docId: string): Promise<void> {
    await this.init();
    if (this.doc(docId)) return;
    const stored = await this.files.get<StoredDoc>(docId).catch(() => undefined);
    if (!stored || this.doc(docId)) return;
    // (As at start-up: a stored record carries neither progress nor storage warnings, persist() leaves them out.)
    this.removedIds.delete(docId);
    this.state.update((s) => ({ ...s, docs: [...s.docs, stored.record].sort((a, b) => a.addedAt - b.addedAt) }));
    await this.process(docId);
  }

  /** Another tab removed the document (and deletes its stored data once this tab's work on it has stopped). */
  private removedElsewhere(docId: string): void {
    if (!this.doc(docId)) return;
    this.dropDoc(docId);
    this.passwords.delete(docId);
    void this.refreshMode();
  }

  setSelected(docId: string, selected: boolean): void {
    this.patchDoc(docId, { selected }, true);
  }

  /** The PDF's bytes (for the page viewer). */
  async bytes(docId: string): Promise<Uint8Array> {
    const cached = this.bytesCache.get(docId);
    if (cached) return cached;
    const missing = () => new AppError('MISSING_FILE', 'This document is no longer stored (it was removed). Add the PDF again to open its pages.');
    // Removed: its file may not be deleted yet (that waits for the document's lock), but it is not shown.
    if (this.removedIds.has(docId)) throw missing();
    // (A record of an earlier version whose file could not yet be moved out still holds it.)
    const blob = (await this.pdfBytes.get<Blob>(docId)) ?? (await this.files.get<StoredDoc>(docId))?.bytes;
    if (!blob || this.removedIds.has(docId)) throw missing();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    this.bytesCache.set(docId, bytes);
    return bytes;
  }

  password(docId: string): string | undefined {
    return this.passwords.get(docId);
  }

  /** A password that opened the document in the page viewer (after a reload the list has none): kept in memory. */
  rememberPassword(docId: string, password: string): void {
    if (this.doc(docId)) this.passwords.set(docId, password);
  }

  /**
   * What a question would search: selected documents that are ready, selected ones still being read
   * (extracting, recognising, indexing), and ready ones left out of answers.
   */
  searchScope(): SearchScope {
    const docs = this.state.get().docs;
    // (A document whose text pages are searched already is not "still being read" for a question.)
    const reading = (d: DocRecord) => (d.status === 'extracting' || d.status === 'recognising' || d.status === 'indexing') && !this.searched(d);
    return {
      ready: this.selectedReadyIds().length,
      reading: docs.filter((d) => d.selected && reading(d)).length,
      unselected: docs.filter((d) => !d.selected && d.status === 'ready').length,
      recognising: docs.filter((d) => d.selected && d.status !== 'ready' && this.searched(d) && this.library!.pendingPages(d.docId).length > 0).length,
      keywordsOnly: docs.filter((d) => d.selected && d.status !== 'ready' && this.searched(d) && this.library!.pendingPages(d.docId).length === 0).length,
    };
  }

  selectedReadyIds(): string[] {
    return this.state.get().docs.filter((d) => d.selected && this.searched(d)).map((d) => d.docId);
  }

  /** Ready, or its text pages are in this tab's index while the rest is recognised. */
  private searched(d: DocRecord): boolean {
    return d.status === 'ready' || (isSearchable(d) && Boolean(this.library?.has(d.docId)));
  }

  /** `history`: the conversation's earlier turns, so that a follow-up question is retrieved in context; `extraQueries`: a model's rewrite. */
  async search(query: string, opts: { topK: number; docIds?: string[]; history?: ConversationTurn[]; extraQueries?: string[] }): Promise<Passage[]> {
    if (!this.library) return [];
    const res = await this.library.search(query, { topK: opts.topK, ...(opts.docIds ? { docIds: opts.docIds } : {}), ...(opts.history ? { history: opts.history } : {}), ...(opts.extraQueries ? { extraQueries: opts.extraQueries } : {}) });
    this.state.update((s) => ({ ...s, mode: { mode: res.mode, reason: res.reason } }));
    // Passages with no confident match to the question are not handed on.
    return res.results.filter((r) => r.confident).map((r) => ({ docId: r.docId, file: r.file, page: r.page, label: r.label, score: r.score, text: r.text, start: r.start, end: r.end }));
  }

  /**
   * After semantic search was turned on: documents indexed without vectors are indexed again (from the stored
   * PDF) so that they take part in hybrid search. Returns how many were re-indexed.
   */
  async embedMissing(): Promise<number> {
    await this.init();
    const lib = this.library!;
    await lib.reembedStale(); // vectors of an older model or profile: re-embedded from the stored chunks
    // Keyword-only documents get vectors from their stored chunks: no re-extraction (a password-protected PDF
    // needs no password again) and their keyword index stays searchable all along.
    const embedded = await lib.embedLexicalOnly();
    await this.refreshMode();
    return embedded;
  }

  /** Re-reads which search mode is in effect (after semantic search was turned on or off). */
  async refreshMode(): Promise<void> {
    if (!this.library) return;
    const mode = await this.library.mode();
    this.state.update((s) => ({ ...s, mode }));
  }
}
