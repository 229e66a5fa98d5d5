// The cited page rendered with pdf.js (canvas + text layer) with the cited passage highlighted.
import { useEffect, useRef, useState } from 'react';
import { AppError } from '../shared/errors';
import { useI18n } from './i18n';
import { normaliseForMatch, openPdf, pdfjs } from './pdfjs-main';
import { PasswordPrompt } from './PasswordPrompt';
import { ocrStore } from './services/ocr-store';
import type { OcrPage } from '../pdf/ocr-types';
import { ocrWordStyle } from './ocr-word-style';

export interface ViewerTarget {
  docId: string;
  file: string;
  page: number;
  /** Passage to highlight on that page. */
  text: string;
}

interface Props {
  target: ViewerTarget | null;
  loadBytes(docId: string): Promise<Uint8Array>;
  password(docId: string): string | undefined;
  /** A password typed here opened the document: kept for its other pages and citations (in memory only). */
  rememberPassword(docId: string, password: string): void;
  onClose(): void;
}

export function PdfViewer({ target, loadBytes, password, rememberPassword, onClose }: Props) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const textLayer = useRef<HTMLDivElement>(null);
  const [page, setPage] = useState(1);
  const [pageCount, setPageCount] = useState(0);
  const [error, setError] = useState<AppError | null>(null);
  const [pw, setPw] = useState<string | undefined>(undefined);
  const [highlighted, setHighlighted] = useState(0);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (target) {
      setPage(target.page);
      setPageCount(0); // not the previous document's count while this one opens
      setPw(password(target.docId));
      if (!d.open) d.showModal();
    } else if (d.open) d.close();
  }, [target, password]);

  useEffect(() => {
    if (!target) return;
    let cancelled = false;
    let task: ReturnType<typeof openPdf> | null = null;
    setError(null);
    setHighlighted(0); // not the count of the page shown before, while this one renders
    (async () => {
      const bytes = await loadBytes(target.docId);
      if (cancelled) return; // (the cleanup ran before there was a task to destroy)
      task = openPdf(bytes, pw);
      const doc = await task.promise;
      if (cancelled) return;
      if (pw !== undefined) rememberPassword(target.docId, pw);
      setPageCount(doc.numPages);
      const p = await doc.getPage(Math.min(Math.max(1, page), doc.numPages));
      const cssWidth = Math.min(900, (dialog.current?.clientWidth ?? 800) - 32);
      const base = p.getViewport({ scale: 1 });
      const viewport = p.getViewport({ scale: cssWidth / base.width });
      const ratio = window.devicePixelRatio || 1;
      const c = canvas.current!;
      c.width = Math.floor(viewport.width * ratio);
      c.height = Math.floor(viewport.height * ratio);
      c.style.width = `${viewport.width}px`;
      c.style.height = `${viewport.height}px`;
      await p.render({ canvas: c, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined }).promise;
      if (cancelled) return;
      const layer = textLayer.current!;
      layer.replaceChildren();
      // As pdf.js's viewer does (--scale-factor × --user-unit): the text layer sizes itself, in the unrotated
      // page's frame, from this (and --scale-round-x/y, styles.css), and the CSS for its data-main-rotation
      // turns it onto the canvas.
      layer.style.setProperty('--total-scale-factor', String(viewport.scale * viewport.userUnit));
      const tl = new pdfjs.TextLayer({ textContentSource: await p.getTextContent(), container: layer, viewport });
      await tl.render();
      if (cancelled) return;
      // A page whose text was recognised (a scan, or a garbled text layer): its recognised words, at their
      // boxes, take the place of pdf.js's text layer, since the indexed passages come from them.
      const words = await ocrStore.page(target.docId, p.pageNumber).catch(() => null);
      if (cancelled) return;
      if (words) {
        // The words' boxes are in the page as shown (/Rotate applied): the layer must not be turned again.
        layer.replaceChildren();
        layer.removeAttribute('data-main-rotation');
        layer.style.width = `${viewport.width}px`;
        layer.style.height = `${viewport.height}px`;
      }
      const divs = words ? ocrWordLayer(layer, words, viewport.scale) : tl.textDivs;
      layer.dataset.ocr = words ? 'true' : 'false';
      setHighlighted(page === target.page ? highlight(divs, target.text) : 0);
      layer.querySelector('.hl')?.scrollIntoView?.({ block: 'center' });
    })().catch((e) => {
      if (!cancelled) setError(AppError.from(passwordError(e)));
    });
    return () => {
      cancelled = true;
      void task?.destroy();
    };
  }, [target, page, pw, loadBytes, rememberPassword]);

  return (
    <dialog ref={dialog} className="viewer" onClose={onClose} aria-label={t('viewer')} data-testid="viewer">
      {target && (
        <>
          <div className="viewer-bar">
            <strong className="viewer-title">{target.file}</strong>
            <button type="button" onClick={() => setPage((p) => Math.max(1, p - 1))} disabled={page <= 1} aria-label={t('prevPage')}>
              ‹
            </button>
            <span data-testid="viewer-page" data-page={page} data-highlights={highlighted}>
              {page} / {pageCount || '…'}
            </span>
            <button type="button" onClick={() => setPage((p) => Math.min(pageCount || p, p + 1))} disabled={pageCount > 0 && page >= pageCount} aria-label={t('nextPage')}>
              ›
            </button>
            <span className="spacer" />
            <button type="button" onClick={() => dialog.current?.close()} autoFocus data-testid="viewer-close">
              {t('close')}
            </button>
          </div>
          {error?.code === 'PASSWORD_REQUIRED' || error?.code === 'BAD_PASSWORD' ? (
            <PasswordPrompt name={target.file} wrong={error.code === 'BAD_PASSWORD'} onSubmit={setPw} />
          ) : error ? (
            <p className="problem" role="alert">{error.message}</p>
          ) : null}
          <div className="page-wrap">
            <canvas ref={canvas} />
            <div ref={textLayer} className="textLayer" />
          </div>
        </>
      )}
    </dialog>
  );
}

/**
 * Transparent, selectable spans over the recognised words of a scanned page (boxes are in page points of the
 * upright page, /Rotate applied, like the canvas; the layer is not rotated; a page scanned sideways or upside down
 * has its spans turned onto the text: ocr-word-style.ts).
 */
function ocrWordLayer(layer: HTMLDivElement, page: Pick<OcrPage, 'words' | 'turned'>, scale: number): HTMLElement[] {
  const spans = page.words.map((w) => {
    const span = document.createElement('span');
    span.className = 'ocr-word';
    span.textContent = w.text + ' ';
    const s = ocrWordStyle(w, scale, page.turned);
    Object.assign(span.style, {
      left: `${s.left}px`,
      top: `${s.top}px`,
      width: `${s.width}px`,
      height: `${s.height}px`,
      fontSize: `${s.fontSize}px`,
      lineHeight: `${s.height}px`,
      overflow: 'hidden',
      ...(s.rotateDeg ? { transform: `rotate(${s.rotateDeg}deg)`, transformOrigin: 'center' } : {}),
    });
    return span;
  });
  layer.append(...spans);
  return spans;
}

function passwordError(e: unknown): unknown {
  const name = (e as { name?: string })?.name;
  if (name === 'PasswordException') {
    const code = (e as { code?: number }).code;
    return new AppError(code === 2 ? 'BAD_PASSWORD' : 'PASSWORD_REQUIRED', code === 2 ? 'Wrong password.' : 'This PDF needs its password.');
  }
  return e;
}

/**
 * Marks the text-layer spans that cover the passage; returns how many. Span texts are joined without
 * whitespace or hyphens (extraction repaired line-end hyphenation and reflowed lines), the passage's start
 * and end are located by short anchors, and every span overlapping that range is marked.
 */
function highlight(divs: HTMLElement[], passage: string): number {
  const strip = (s: string) => normaliseForMatch(s).replace(/[\s\-\u2010\u2011]/g, '');
  const pieces = divs.map((d) => strip(d.textContent ?? ''));
  const starts: number[] = [];
  let joined = '';
  for (const p of pieces) {
    starts.push(joined.length);
    joined += p;
  }
  const target = strip(passage);
  const A = Math.min(24, target.length);
  if (A === 0) return 0;
  let start = -1;
  for (let i = 0; i + A <= target.length && start < 0; i += A) {
    const k = joined.indexOf(target.slice(i, i + A));
    if (k >= 0) start = Math.max(0, k - i);
  }
  let end = -1;
  for (let j = target.length; j - A >= 0 && end < 0 && start >= 0; j -= A) {
    const k = joined.indexOf(target.slice(j - A, j), start);
    if (k >= 0) end = Math.min(joined.length, k + A + (target.length - j));
  }
  if (start < 0 || end <= start) return 0;
  let n = 0;
  divs.forEach((d, i) => {
    if (pieces[i].length > 0 && starts[i] < end && starts[i] + pieces[i].length > start) {
      d.classList.add('hl');
      n++;
    }
  });
  return n;
}
