// One document in the list: name, pages, progress, problems (password, scan, garbled pages), remove.
import type { DocRecord } from './services/documents';
import { useI18n } from './i18n';
import { ProgressBar } from './ProgressBar';
import { PasswordPrompt } from './PasswordPrompt';
import { formatBytes, formatPageList } from './format';

interface Props {
  doc: DocRecord;
  onRemove(): void;
  onSelect(selected: boolean): void;
  onUnlock(password: string): void;
}

export function DocumentItem({ doc, onRemove, onSelect, onUnlock }: Props) {
  const { t } = useI18n();
  const pct = doc.progress && doc.progress.total > 0 ? Math.round((doc.progress.done / doc.progress.total) * 100) : 0;
  return (
    <li className={`doc doc-${doc.status}`} data-testid="document" data-status={doc.status} data-doc-id={doc.docId}>
      <div className="doc-head">
        <input
          type="checkbox"
          checked={doc.selected}
          disabled={doc.status !== 'ready'}
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
      </div>
      {doc.status === 'extracting' && (
        <>
          <ProgressBar value={doc.progress?.done ?? 0} total={doc.progress?.total ?? 0} label={doc.name} />
          <div className="small">{doc.progress ? t('extracting', { page: doc.progress.done, total: doc.progress.total }) : '…'}</div>
        </>
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
          {doc.error.code === 'NO_TEXT' ? t('scanned') : doc.error.message}
        </p>
      )}
      {doc.garbledPages.length > 0 && (
        <p className="problem warn" data-testid="garbled">{t('garbledPages', { pages: formatPageList(doc.garbledPages) })}</p>
      )}
      {doc.status === 'ready' && doc.emptyPages.length > 0 && doc.emptyPages.length < doc.pageCount && (
        <p className="problem warn small">{t('emptyPages', { pages: formatPageList(doc.emptyPages) })}</p>
      )}
    </li>
  );
}
