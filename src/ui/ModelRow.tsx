// One model (curated, custom or cached): sizes, fit check, download with progress, load, delete.
import type { CachedModel } from '../store/model-store';
import type { DownloadState } from './services/models';
import { useI18n } from './i18n';
import { TransferProgress } from './TransferProgress';
import { formatBytes } from './format';

export interface ModelRowProps {
  repo: string;
  revision: string;
  title?: string;
  downloadBytes?: number;
  gpuBytes?: number;
  contextLength?: number;
  licence?: string;
  /** Curated rows: model_type and quantisation format, and whether this is the suggestion for this UI/adapter. */
  architecture?: string;
  format?: string;
  recommended?: boolean;
  /** null = fits (or unknown); a reason = too big for this GPU. */
  doesNotFit?: string | null;
  /** Typed repos: shape summary and file count from the hub, or the check in progress / its error. */
  shape?: string;
  fileCount?: number;
  checking?: boolean;
  checkError?: { code: string; message: string };
  /** No adapter to check the fit against (no WebGPU). */
  fitUnchecked?: boolean;
  cached?: CachedModel;
  download?: DownloadState;
  isLoaded: boolean;
  busy: boolean;
  /** An answer is being written: the loaded model is neither unloaded nor deleted until it is done. */
  answering?: boolean;
  canLoad: boolean;
  onDownload(): void;
  onCancel(): void;
  onLoad(): void;
  onUnload(): void;
  onDelete(): void;
}

export function ModelRow(p: ModelRowProps) {
  const { t } = useI18n();
  const complete = Boolean(p.cached?.complete);
  const partial = Boolean(p.cached && !p.cached.complete);
  const running = Boolean(p.download?.running);
  return (
    <li className="model" data-testid="model-row" data-repo={p.repo} data-complete={complete} data-fits={p.doesNotFit ? 'false' : p.gpuBytes ? 'true' : ''} data-recommended={p.recommended ? 'true' : undefined}>
      <div className="model-title">
        <strong>{p.title ?? p.repo}</strong>
        {p.recommended && <> <span className="badge" data-testid="recommended">{t('recommended')}</span></>}
        {p.revision !== 'main' && <span className="small muted"> @{p.revision}</span>}
      </div>
      {p.title && <div className="small muted mono">{p.repo}</div>}
      <div className="small model-meta">
        {p.downloadBytes ? <span data-testid="download-size">{t('downloadSize', { size: formatBytes(p.downloadBytes) })}{p.fileCount ? ` (${t('fileCount', { n: p.fileCount })})` : ''}</span> : null}
        {p.gpuBytes ? <span data-testid="gpu-need">{t('gpuNeed', { size: formatBytes(p.gpuBytes) })}</span> : null}
        {p.contextLength ? <span>{t('context', { n: p.contextLength })}</span> : null}
        {p.architecture ? <span data-testid="model-architecture">{p.architecture}{p.format ? ` · ${p.format}` : ''}</span> : null}
        {p.licence ? <span>{p.licence}</span> : null}
        {p.cached ? <span>{formatBytes(p.cached.bytes)} {complete ? '✓' : '…'}</span> : null}
      </div>
      {p.shape && <div className="small muted" data-testid="model-shape">{p.shape}</div>}
      {p.checking && <p className="small muted" data-testid="repo-checking">{t('checkingRepo')}</p>}
      {p.checkError && (
        <p className="problem" role="alert" data-testid="repo-check-error" data-code={p.checkError.code}>
          {p.checkError.message}
        </p>
      )}
      {p.doesNotFit && <p className="problem warn small" role="alert" data-testid="does-not-fit">{t('doesNotFit', { reason: p.doesNotFit })}</p>}
      {p.fitUnchecked && !p.doesNotFit && <p className="small muted">{t('fitUnchecked')}</p>}
      {running && p.download?.progress && <TransferProgress progress={p.download.progress} label={p.repo} />}
      {p.download?.error && (
        <p className="problem" role="alert" data-testid="download-error" data-code={p.download.error.code}>
          {p.download.error.message}
        </p>
      )}
      <div className="actions">
        {!complete && !running && !p.checking && !p.checkError && (
          <button type="button" onClick={p.onDownload} disabled={Boolean(p.doesNotFit)} data-testid="download">
            {p.download?.error || partial ? t('retry') : t('download')}
          </button>
        )}
        {running && (
          <button type="button" onClick={p.onCancel}>
            {t('cancel')}
          </button>
        )}
        {complete && !p.isLoaded && (
          <button type="button" onClick={p.onLoad} disabled={p.busy || !p.canLoad} title={p.answering ? t('modelBusyAnswering') : undefined} data-testid="load">
            {t('load')}
          </button>
        )}
        {p.isLoaded && (
          <button type="button" onClick={p.onUnload} disabled={p.answering} title={p.answering ? t('modelBusyAnswering') : undefined} data-testid="unload">
            {t('unload')}
          </button>
        )}
        {p.cached && !running && (
          <button type="button" className="danger" onClick={p.onDelete} disabled={p.answering && p.isLoaded} title={p.answering && p.isLoaded ? t('modelBusyAnswering') : undefined} data-testid="delete-model">
            {t('delete')}
          </button>
        )}
      </div>
    </li>
  );
}
