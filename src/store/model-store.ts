// Cached models: list them with their sizes, delete one (all its files), and hand the engine a ModelFiles
// over a cached model's stored chunks.
//
// Exported API
//   listCachedModels(backend) → CachedModel[] (complete or partial downloads, with bytes stored)
//   deleteCachedModel(backend, repo, revision) → bytes freed
//   cachedModelFiles(backend, repo, revision) → ModelFiles (only verified, complete files are visible;
//       MISSING_FILE when the model was never (fully) downloaded)
//   storageSummary(backend) → { models, estimate } for the "storage used" line in the UI
import { AppError } from '../shared/errors';
import type { ModelFiles } from '../model/files';
import type { StorageBackend, StorageEstimateInfo } from './backend';
import { FileLayout, modelKey, modelPrefix, readJson, type FileMeta, type ModelRecord } from './layout';

export interface CachedModel {
  repo: string;
  revision: string;
  /** All files downloaded and verified. */
  complete: boolean;
  /** Bytes stored for this model (including partial downloads). */
  bytes: number;
  /** Bytes of the whole model when known. */
  totalBytes: number;
  files: ModelRecord['files'];
  endpoint?: string;
  updatedAt: string;
}

export async function listCachedModels(backend: StorageBackend): Promise<CachedModel[]> {
  const entries = await backend.list('');
  const out: CachedModel[] = [];
  for (const e of entries) {
    if (!e.key.endsWith('#model')) continue;
    const rec = await readJson<ModelRecord>(backend, e.key);
    if (!rec || typeof rec.repo !== 'string' || typeof rec.revision !== 'string') continue;
    const prefix = `${modelPrefix(rec.repo, rec.revision)}/`;
    const bytes = entries.filter((x) => x.key.startsWith(prefix) && x.key.includes('#chunk/')).reduce((n, x) => n + x.size, 0);
    out.push({
      repo: rec.repo,
      revision: rec.revision,
      complete: rec.complete,
      bytes,
      totalBytes: rec.files.reduce((n, f) => n + (f.size || 0), 0),
      files: rec.files,
      ...(rec.endpoint ? { endpoint: rec.endpoint } : {}),
      updatedAt: rec.updatedAt,
    });
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.revision.localeCompare(b.revision));
}

export async function deleteCachedModel(backend: StorageBackend, repo: string, revision: string): Promise<number> {
  const prefix = modelPrefix(repo, revision);
  let freed = 0;
  for (const e of await backend.list(prefix)) {
    // Exactly this model: `{repo}@{revision}/...` or `{repo}@{revision}#model` (not `{repo}@{revision}-other`).
    const rest = e.key.slice(prefix.length);
    if (!rest.startsWith('/') && !rest.startsWith('#')) continue;
    await backend.delete(e.key);
    freed += e.size;
  }
  return freed;
}

export async function storageSummary(backend: StorageBackend): Promise<{ models: CachedModel[]; estimate: StorageEstimateInfo | null }> {
  return { models: await listCachedModels(backend), estimate: await backend.estimate() };
}

export async function cachedModelFiles(backend: StorageBackend, repo: string, revision = 'main'): Promise<ModelFiles> {
  const rec = await readJson<ModelRecord>(backend, modelKey(repo, revision));
  if (!rec) throw new AppError('MISSING_FILE', `${repo}@${revision} is not downloaded. Download it from the model list first.`);
  const metas = new Map<string, FileMeta>();
  for (const f of rec.files) {
    const meta = await new FileLayout(backend, repo, revision, f.path).meta();
    if (meta) metas.set(f.path, meta);
  }
  if (!rec.complete) {
    const missing = rec.files.filter((f) => !metas.has(f.path)).map((f) => f.path);
    if (missing.length) {
      throw new AppError('MISSING_FILE', `${repo}@${revision} is only partly downloaded (missing ${missing.join(', ')}). Resume the download first.`);
    }
  }
  const metaOf = (name: string): FileMeta => {
    const m = metas.get(name);
    if (!m) throw new AppError('MISSING_FILE', `${name} is not part of the cached model ${repo}@${revision}. Delete the model and download it again.`);
    return m;
  };
  return {
    list: async () => [...metas.keys()],
    size: async (name) => metaOf(name).size,
    read: async (name, start, end) => {
      const m = metaOf(name);
      const s = Math.max(0, Math.min(start ?? 0, m.size));
      const e = Math.max(s, Math.min(end ?? m.size, m.size));
      try {
        return await new FileLayout(backend, repo, revision, name).readRange(m.chunks, s, e);
      } catch (err) {
        throw new AppError('MISSING_FILE', `Part of ${name} of ${repo}@${revision} is gone from browser storage (${err instanceof Error ? err.message : String(err)}). Delete the model and download it again.`);
      }
    },
  };
}
