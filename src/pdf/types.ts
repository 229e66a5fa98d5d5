// The extraction contract shared with retrieval and the UI. Keep it stable.

export type PageQuality = 'ok' | 'garbled' | 'empty';

export interface ExtractedPage {
  /** 1-based physical page number. */
  page: number;
  /** Printed page label from the PDF's /PageLabels (e.g. 'iv' or '12'); the physical number when there are none. */
  label: string;
  /**
   * Text in reading order, cleaned (no ligature or control characters, line-end hyphenation repaired).
   * Lines are separated by '\n', layout blocks (columns, paragraphs far apart) by '\n\n'.
   * Empty for 'empty' pages, except a scan with a text stamp (a page-size image and a scanner app's label or a
   * page number: extract.ts), which keeps the stamp for OCR's merge to add back. For 'garbled' pages the gibberish text layer is dropped: only form-field values
   * (real Unicode), if the page has any, remain. Index only 'ok' pages.
   */
  text: string;
  /** ok: usable text; garbled: a text layer exists but decodes to junk (fonts without Unicode maps); empty: no text, or a scan with only a stamp (OCR reads both). */
  quality: PageQuality;
  /**
   * An 'empty' page that prints nothing at all (no text, image, path or shading: src/pdf/blank-page.ts), such as
   * a book's blank left-hand page: OCR skips it and no warning names it.
   */
  blank?: true;
}

export interface ExtractResult {
  pages: ExtractedPage[];
  /** Human-readable notes a user can act on (garbled or empty pages, recovered damage). */
  warnings: string[];
  pageCount: number;
  /** Document title from the PDF's metadata, when it has a non-empty one. */
  title?: string;
}

export interface ExtractOptions {
  /** User password for encrypted PDFs. Missing → PASSWORD_REQUIRED, wrong → BAD_PASSWORD. */
  password?: string;
  /** Cancels the extraction between pages (and while opening); the promise rejects with ABORTED. */
  signal?: AbortSignal;
  /** Called after each page is extracted. */
  onProgress?: (p: { page: number; pageCount: number }) => void;
  /** Called with each page as soon as it is extracted (pages arrive in order). */
  onPage?: (page: ExtractedPage) => void;
}
