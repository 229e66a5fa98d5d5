// Model manager: GPU status, curated models with sizes and fit check, any hub repo, a folder from disk,
// downloaded models with storage use, the hub endpoint, and the loaded model.
import { useState } from 'react';
import { isAbortError } from '../shared/errors';
import type { ModelsService, RepoCheck } from './services/models';
import { modelKeyOf } from './services/models';
import { catalogView } from './services/catalog-view';
import { canPickDirectory, openModelFolder, pickModelDirectory } from './services/model-folder';
import { useObservable } from './state/observable';
import { useI18n } from './i18n';
import { ModelRow } from './ModelRow';
import { EndpointSetting } from './EndpointSetting';
import { ProgressBar } from './ProgressBar';
import { formatBytes } from './format';

/** What a typed repo's check adds to its row: sizes, shape, fit, or the checking state / its error. */
function checkProps(c: RepoCheck | undefined) {
  if (!c) return {};
  if (c.status === 'checking') return { checking: true };
  if (c.status === 'failed') return { checkError: c.error };
  return { downloadBytes: c.downloadBytes, gpuBytes: c.gpuBytes, contextLength: c.contextLength, shape: c.shape, fileCount: c.fileCount, doesNotFit: c.doesNotFit, fitUnchecked: c.unchecked };
}

/**
 * `answering`: an answer is being written. The engine's worker runs one job at a time and a load, an unload or
 * deleting the loaded model ends it, so those wait until the answer is done (or stopped), saying why.
 */
export function ModelManager({ models, answering = false }: { models: ModelsService; answering?: boolean }) {
  const { t, lang } = useI18n();
  const s = useObservable(models.state);
  const [repo, setRepo] = useState('');
  const [revision, setRevision] = useState('main');
  const [custom, setCustom] = useState<{ repo: string; revision: string }[]>([]);
  const [folderError, setFolderError] = useState<string | null>(null);
  const curated = catalogView(s.gpu.limits, lang);
  const listed = new Set(curated.map((c) => modelKeyOf(c.repo, c.revision)));
  // Downloaded models outside the curated list, and typed repo ids not downloaded (yet), shown under the form.
  const others = s.cached.filter((c) => !listed.has(modelKeyOf(c.repo, c.revision))).map((c) => ({ repo: c.repo, revision: c.revision }));
  const typed = custom.filter((c) => !listed.has(modelKeyOf(c.repo, c.revision)) && !s.cached.some((x) => x.repo === c.repo && x.revision === c.revision));
  const rowProps = (r: string, rev: string) => {
    const key = modelKeyOf(r, rev);
    return {
      repo: r,
      revision: rev,
      cached: s.cached.find((c) => c.repo === r && c.revision === rev),
      download: s.downloads[key],
      isLoaded: s.loaded?.key === key,
      busy: Boolean(s.loading) || answering,
      answering,
      canLoad: s.gpu.available,
      onDownload: () => void models.download(r, rev),
      onCancel: () => models.cancelDownload(r, rev),
      onLoad: () => void models.loadCached(r, rev),
      onUnload: () => void models.unload(),
      onDelete: () => void models.remove(r, rev),
      ...checkProps(s.checks[key]),
    };
  };

  return (
    <section className="panel models" aria-labelledby="models-title">
      <h2 id="models-title">{t('models')}</h2>
      {s.gpu.available && <p className="small muted" data-testid="adapter">{t('adapter', { name: s.gpu.adapterName ?? '?' })}</p>}

      {s.loaded && (
        <p className="loaded" data-testid="loaded-model">
          {t('loaded')}: <strong>{s.loaded.key.replace(/@main$/, '').replace(/^folder:/, '')}</strong>{' '}
          <span className="small muted" data-testid="loaded-details" data-architecture={s.loaded.info.architecture}>
            ({s.loaded.info.architecture}
            {s.loaded.info.experts ? `, ${t('experts', { total: s.loaded.info.experts.total, active: s.loaded.info.experts.active })}${s.loaded.info.experts.shared ? ' + 1' : ''}` : ''}, {s.loaded.info.quantization}, {t('context', { n: s.loaded.info.contextLength })}{s.loaded.info.f16 ? ', f16' : ', f32'})
          </span>{' '}
          <span className="small muted" data-testid="loaded-tuning" data-tuning={s.loaded.info.tuning}>{t(`tuning_${s.loaded.info.tuning}`)}</span>
        </p>
      )}
      {answering && (s.loaded || s.loading) && <p className="small muted" data-testid="model-busy-answering">{t('modelBusyAnswering')}</p>}
      {s.loaded && s.lastRun && (
        <p className="small muted" data-testid="last-run">
          {t('lastRun', {
            prefill: s.lastRun.prefillTokS.toFixed(1),
            prompt: s.lastRun.promptTokens,
            reused: s.lastRun.reusedTokens,
            decode: s.lastRun.decodeTokS.toFixed(1),
            generated: s.lastRun.generatedTokens,
          })}
        </p>
      )}
      {s.loading && (
        <div data-testid="model-loading">
          <ProgressBar value={s.loading.progress?.loaded ?? 0} total={s.loading.progress?.total ?? 0} label={s.loading.key} />
          <p className="small" data-testid="model-loading-phase" data-phase={s.loading.progress?.phase ?? 'load'}>
            {t(s.loading.progress?.phase === 'tune' ? 'tuning' : 'loading', { pct: s.loading.progress && s.loading.progress.total > 0 ? Math.round((s.loading.progress.loaded / s.loading.progress.total) * 100) : 0 })}
          </p>
          <button type="button" data-testid="cancel-load" onClick={() => models.cancelLoad()}>
            {t('cancel')}
          </button>
        </div>
      )}
      {s.loadError && (
        <p className="problem" role="alert" data-testid="load-error" data-code={s.loadError.code}>
          {s.loadError.message}
        </p>
      )}

      <h3>{t('curated')}</h3>
      <ul className="model-list">
        {curated.map((c) => (
          <ModelRow key={modelKeyOf(c.repo, c.revision)} {...rowProps(c.repo, c.revision)} title={c.title} downloadBytes={c.downloadBytes} gpuBytes={c.gpuBytes} contextLength={c.contextLength} licence={c.licence} doesNotFit={c.doesNotFit} architecture={c.architecture} format={c.format} recommended={c.recommended} />
        ))}
      </ul>

      {others.length > 0 && (
        <>
          <h3>{t('cachedModels')}</h3>
          <ul className="model-list">
            {others.map((c) => (
              <ModelRow key={modelKeyOf(c.repo, c.revision)} {...rowProps(c.repo, c.revision)} />
            ))}
          </ul>
        </>
      )}

      <h3>{t('customRepo')}</h3>
      <form
        className="custom-repo"
        onSubmit={(e) => {
          e.preventDefault();
          const r = repo.trim();
          const rev = revision.trim() || 'main';
          if (!/^[\w.-]+\/[\w.-]+$/.test(r)) return;
          setCustom((c) => [...c.filter((x) => !(x.repo === r && x.revision === rev)), { repo: r, revision: rev }]);
          // Describe first (files, sizes, shape, fit); the row's Download button starts the download.
          void models.describe(r, rev);
        }}
      >
        <label>
          {t('repoId')}
          <input value={repo} onChange={(e) => setRepo(e.target.value)} placeholder="TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ" spellCheck={false} data-testid="repo-input" pattern="[\w.\-]+/[\w.\-]+" required />
        </label>
        <label>
          {t('revision')}
          <input value={revision} onChange={(e) => setRevision(e.target.value)} spellCheck={false} />
        </label>
        <button type="submit" data-testid="repo-check">{t('checkRepo')}</button>
      </form>
      {typed.length > 0 && (
        <ul className="model-list">
          {typed.map((c) => (
            <ModelRow key={modelKeyOf(c.repo, c.revision)} {...rowProps(c.repo, c.revision)} />
          ))}
        </ul>
      )}

      <h3>{t('openFolder')}</h3>
      <input
        type="file"
        {...{ webkitdirectory: '' } /* non-standard attribute every current browser supports */}
        multiple
        aria-label={t('openFolder')}
        data-testid="folder-input"
        disabled={!s.gpu.available || Boolean(s.loading) /* one load at a time: Cancel it first */ || answering}
        onChange={(e) => {
          const list = e.target.files;
          if (!list?.length) return;
          setFolderError(null);
          // Read now, then cleared: picking the same folder again (after Unload, a lost GPU) must fire again.
          const picked = openModelFolder(list);
          e.target.value = '';
          picked.then(
            (files) => models.loadFolder(files.name, files),
            (err: Error) => setFolderError(err.message),
          );
        }}
      />
      {canPickDirectory() && (
        <button
          type="button"
          disabled={!s.gpu.available || Boolean(s.loading) || answering}
          onClick={() => {
            setFolderError(null);
            pickModelDirectory().then(
              (files) => models.loadFolder(files.name, files),
              (err: Error) => !isAbortError(err) && setFolderError(err.message),
            );
          }}
        >
          {t('openFolder')}…
        </button>
      )}
      {folderError && <p className="problem" role="alert">{folderError}</p>}

      <p className="small muted" data-testid="storage">
        {s.estimate ? t('storage', { used: formatBytes(s.estimate.usage), quota: formatBytes(s.estimate.quota) }) : ''}
      </p>
      <details>
        <summary>{t('endpoint')}</summary>
        <EndpointSetting />
      </details>
    </section>
  );
}
