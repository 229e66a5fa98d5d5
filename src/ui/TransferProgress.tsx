// Download progress: overall bar with bytes, speed and time left, and one line per file.
import type { DownloadProgress } from '../store/download';
import { useI18n } from './i18n';
import { ProgressBar } from './ProgressBar';
import { formatBytes, formatDuration } from './format';

export function TransferProgress({ progress, label }: { progress: DownloadProgress; label: string }) {
  const { t } = useI18n();
  return (
    <div className="transfer" data-testid="download-progress" data-loaded={progress.loaded} data-total={progress.total}>
      <ProgressBar value={progress.loaded} total={progress.total} label={label} />
      <div className="small">
        {formatBytes(progress.loaded)} / {formatBytes(progress.total)}
        {progress.bytesPerSecond > 0 && (
          <> · {t('speed', { speed: formatBytes(progress.bytesPerSecond), left: progress.secondsLeft == null ? '?' : formatDuration(progress.secondsLeft) })}</>
        )}
      </div>
      {progress.files.length > 1 && (
        <ul className="file-progress small">
          {progress.files.map((f) => (
            <li key={f.path}>
              <span className="file-name">{f.path}</span>{' '}
              <span>{f.state === 'done' ? '✓' : f.total > 0 ? `${Math.floor((f.loaded / f.total) * 100)}%` : f.state}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
