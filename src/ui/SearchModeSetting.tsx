// Which search is in effect — keyword (BM25) or hybrid (BM25 + semantic vectors) — and why, with the
// switch that downloads the embedding models from the hub endpoint (only when the user asks).
import type { DocumentsService } from './services/documents';
import { SEMANTIC_DOWNLOAD_BYTES, SEMANTIC_MODELS, type SemanticSearch } from './services/semantic';
import { hubSetting } from './state/settings';
import { useObservable } from './state/observable';
import { useI18n } from './i18n';
import { ProgressBar } from './ProgressBar';
import { formatBytes } from './format';

export function SearchModeSetting({ documents, semantic }: { documents: DocumentsService; semantic: SemanticSearch }) {
  const { t } = useI18n();
  const { mode, docs } = useObservable(documents.state);
  const sem = useObservable(semantic.state);
  const hub = useObservable(hubSetting);
  const hybrid = mode?.mode === 'hybrid';
  // The label says the mode and, for keyword search, why semantic search is not in use.
  let label: string;
  if (hybrid) label = t('hybridSearch');
  else if (sem.status === 'on') label = `${t('keywordSearch')} — ${mode?.reason.replace(/^BM25 only: /, '') ?? ''}`;
  else if (sem.status === 'downloading') label = `${t('keywordSearch')} — ${t('semanticDownloading')}`;
  else if (sem.status === 'failed') label = `${t('keywordSearch')} — ${t('semanticFailedShort')}`;
  else label = `${t('keywordSearch')} — ${t('semanticNotDownloaded')}`;

  const enable = async () => {
    if (await semantic.enable()) await documents.embedMissing();
    else await documents.refreshMode();
  };
  const disable = async () => {
    semantic.disable();
    await documents.refreshMode();
  };

  return (
    <div className="search-mode" data-testid="search-mode" data-mode={hybrid ? 'hybrid' : 'lexical'} data-semantic={sem.status}>
      <p className="small">
        <strong>{label}</strong>
      </p>
      {hybrid && mode && <p className="small muted">{mode.reason}</p>}
      {(sem.status === 'off' || sem.status === 'failed') && (
        <>
          <p className="small muted" data-testid="semantic-explain">
            {t('semanticExplain', { models: SEMANTIC_MODELS.map((m) => `${m.id.split('/').pop()} ${formatBytes(m.bytes)}`).join(', '), size: formatBytes(SEMANTIC_DOWNLOAD_BYTES), hub: hub.endpoint })}
          </p>
          <button type="button" onClick={() => void enable()} data-testid="enable-semantic">
            {sem.status === 'failed' ? t('retry') : t('enableSemantic')}
          </button>
        </>
      )}
      {sem.status === 'downloading' && (
        // Overall progress of both models' files (the sizes known so far; see services/download-tally.ts).
        <div data-testid="semantic-progress" data-loaded={sem.progress?.loaded ?? 0} data-total={sem.progress?.total ?? 0}>
          <ProgressBar value={sem.progress?.loaded ?? 0} total={sem.progress?.total ?? 0} label={t('semanticDownloading')} />
          <p className="small muted">
            {sem.progress ? `${formatBytes(sem.progress.loaded)} / ${sem.progress.total > 0 ? formatBytes(sem.progress.total) : '?'}${sem.progress.file ? ` · ${sem.progress.file}` : ''}` : '…'}
          </p>
          <button type="button" onClick={() => semantic.cancel()} data-testid="semantic-cancel">
            {t('cancel')}
          </button>
        </div>
      )}
      {sem.status === 'failed' && sem.error && (
        <p className="problem" role="alert" data-testid="semantic-error" data-code={sem.error.code}>
          {sem.error.message}
        </p>
      )}
      {sem.status === 'on' && (
        <button type="button" onClick={() => void disable()} data-testid="disable-semantic" disabled={docs.some((d) => d.status === 'indexing' || d.status === 'extracting')}>
          {t('disableSemantic')}
        </button>
      )}
    </div>
  );
}
