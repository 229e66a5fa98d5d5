// One document in the list: name, pages, progress, problems (password, scan, garbled pages), remove.
import { isSearchable, type DocRecord } from './services/documents';
import { useI18n } from './i18n';
import { ocrReadingText } from './ocr-reading-text';
import { ProgressBar } from './ProgressBar';
import { PasswordPrompt } from './PasswordPrompt';
import { formatBytes, formatPageList } from './format';
import { tesseractOrder, type OcrLanguage } from '../pdf/ocr-types';
import { defaultOcrLanguages } from './services/ocr-runner';

interface Props {
  doc: DocRecord;
  onRemove(): void;
  onSelect(selected: boolean): void;
  onUnlock(password: string): void;
  /** OCR: stop the recognition in progress; recognise again (pending pages, garbled pages); choose languages. */
  onCancelOcr?(): void;
  onRecognise?(opts: { garbled?: boolean }): void;
  onOcrLanguages?(languages: OcrLanguage[]): void;
}

const OCR_LANGUAGE_CHOICES: Array<{ value: string; key: 'ocrLangEng' | 'ocrLangChi' | 'ocrLangChiTra' | 'ocrLangBoth' | 'ocrLangBothTra' }> = [
  { value: 'eng', key: 'ocrLangEng' },
  { value: 'chi_sim', key: 'ocrLangChi' },
  { value: 'chi_tra', key: 'ocrLangChiTra' },
  { value: 'eng+chi_sim', key: 'ocrLangBoth' },
  { value: 'eng+chi_tra', key: 'ocrLangBothTra' },
];

export function DocumentItem({ doc, onRemove, onSelect, onUnlock, onCancelOcr, onRecognise, onOcrLanguages }: Props) {
  const { t } = useI18n();
  const pct = doc.progress && doc.progress.total > 0 ? Math.round((doc.progress.done / doc.progress.total) * 100) : 0;
  return (
    <li className={`doc doc-${doc.status}`} data-testid="document" data-status={doc.status} data-doc-id={doc.docId}>
      <div className="doc-head">
        <input
          type="checkbox"
          checked={doc.selected}
          disabled={!isSearchable(doc)}
          onChange={(e) => onSelect(e.target.checked)}
          aria-label={t('useInSearch', { name: doc.name })}
        />
        <span className="doc-name" title={doc.name}>{doc.name}</span>
        <button type="button" className="icon-button" onClick={onRemove} aria-label={`${t('remove')} ${doc.name}`} title={t('remove')}>
          ✕
        </button>
      </div>
      <div className="doc-meta">
        {doc.pageCount > 0 && <span data-testid="page-count">{doc.pageCount === 1 ? t('onePage') : t('pages', { n: doc.pageCount })}</span>}
        <span>{formatBytes(doc.size)}</span>
        {doc.status === 'ready' && <span className="ok">{t('ready')}</span>}
        {doc.status === 'ready' && (doc.ocrPages?.length ?? 0) > 0 && (
          <span className="badge ocr" data-testid="ocr-badge" title={t('ocrDoneTitle', { pages: formatPageList(doc.ocrPages ?? []) })}>
            {t('ocrDone')}
          </span>
        )}
      </div>
      {doc.status === 'extracting' && (
        <>
          <ProgressBar value={doc.progress?.done ?? 0} total={doc.progress?.total ?? 0} label={doc.name} />
          <div className="small">{doc.progress ? t('extracting', { page: doc.progress.done, total: doc.progress.total }) : '…'}</div>
        </>
      )}
      {doc.status === 'recognising' && (
        <>
          <ProgressBar value={(doc.progress?.done ?? 0) + (doc.ocrReading?.fraction ?? 0)} total={doc.progress?.total ?? 0} label={doc.name} />
          <div className="small ocr-progress" data-testid="ocr-progress">
            {ocrReadingText(doc, t)}{' '}
            <button type="button" className="link-button" onClick={onCancelOcr} data-testid="ocr-cancel">
              {t('cancel')}
            </button>
          </div>
        </>
      )}
      {doc.searchable && doc.status !== 'ready' && (
        <div className="small muted" data-testid="searchable-meanwhile">{t(doc.status === 'indexing' ? 'indexingSearchableMeanwhile' : 'ocrSearchableMeanwhile')}</div>
      )}
      {doc.status === 'indexing' && (
        <>
          <ProgressBar value={doc.progress?.done ?? 0} total={doc.progress?.total ?? 0} label={doc.name} />
          <div className="small">{t('indexing', { pct })}</div>
        </>
      )}
      {doc.status === 'needs-password' && <PasswordPrompt name={doc.name} wrong={Boolean(doc.badPassword)} onSubmit={onUnlock} />}
      {doc.status === 'failed' && doc.error && (
        <p className="problem" role="alert" data-code={doc.error.code}>
          {doc.error.code === 'NO_TEXT' ? (doc.ocrPending?.length ? t('ocrCancelled') : t('ocrNothing')) : doc.error.message}
        </p>
      )}
      {doc.status === 'ready' && (doc.ocrPending?.length ?? 0) > 0 && (
        <p className="problem warn small" data-testid="ocr-pending">{t('ocrPending', { pages: formatPageList(doc.ocrPending ?? []) })}</p>
      )}
      {(doc.status === 'failed' && (doc.error?.code === 'NO_TEXT' || doc.error?.code === 'OCR_FAILED')) || (doc.status === 'ready' && (doc.ocrPending?.length ?? 0) > 0) ? (
        <button type="button" onClick={() => onRecognise?.({})} data-testid="ocr-recognise">
          {t('ocrRecognise')}
        </button>
      ) : null}
      {(doc.ocrPages?.length || doc.ocrPending?.length || (doc.status === 'failed' && doc.error?.code === 'NO_TEXT')) ? (
        <label className="small ocr-language">
          {t('ocrLanguage')}{' '}
          <select
            value={tesseractOrder(doc.ocrLanguages ?? defaultOcrLanguages()).join('+')}
            onChange={(e) => onOcrLanguages?.(e.target.value.split('+') as OcrLanguage[])}
            data-testid="ocr-language"
          >
            {OCR_LANGUAGE_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {t(c.key)}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {doc.garbledPages.length > 0 && (
        <p className="problem warn" data-testid="garbled">
          {t('garbledPages', { pages: formatPageList(doc.garbledPages) })}{' '}
          {doc.status === 'ready' && (
            <button type="button" className="link-button" onClick={() => onRecognise?.({ garbled: true })} data-testid="ocr-recognise-garbled">
              {t('ocrRecogniseGarbled')}
            </button>
          )}
        </p>
      )}
      {doc.status === 'ready' && doc.emptyPages.length > 0 && doc.emptyPages.length < doc.pageCount && (
        <p className="problem warn small">{t('emptyPages', { pages: formatPageList(doc.emptyPages) })}</p>
      )}
      {(doc.storageWarnings ?? []).map((w) => (
        <p key={w} className="problem warn small" role="status" data-testid="doc-storage-warning">
          {w}
        </p>
      ))}
    </li>
  );
}

