// Which files of a hub repo make up a model, with their sizes and sha256 when the hub tells.
// 1. The tree API, `{endpoint}/api/models/{repo}/tree/{revision}` (huggingface.co; gives size and, for LFS
//    files, lfs.oid = sha256), when reachable.
// 2. Otherwise (mirrors often lack /api/), probe the standard names with a 1-byte Range request each:
//    config.json, quantize_config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
//    special_tokens_map.json, then the weights: model.safetensors.index.json + the shards its weight_map
//    lists, else model.safetensors, else `{model_basename}.safetensors` from quantize_config.json, else
//    gptq_model-4bit-128g.safetensors.
//
// Exported API
//   interface RemoteFile { path; size?; sha256? }
//   discoverModelFiles(hub, repo, revision, signal?) → { files, via: 'tree-api' | 'probe' }
//   MODEL_METADATA_FILES, REQUIRED_FILES
import { AppError, throwIfAborted } from '../shared/errors';
import { describeHttpFailure, hubFetch, resolveUrl, sha256FromHeaders, treeApiUrl, withHubDeadline, type HubSettings } from './hub';

export interface RemoteFile {
  path: string;
  /** Size in bytes when known before the download. */
  size?: number;
  /** Hex sha256 when the hub publishes it (LFS files). */
  sha256?: string;
}

/** Small files the engine reads besides the weights (absent ones are fine except the REQUIRED ones). */
export const MODEL_METADATA_FILES = [
  'config.json',
  'quantize_config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  // Newer transformers versions save the chat template in a file of its own instead of tokenizer_config.json
  // (tokenizer.ts reads either); without it an instruct model is prompted as a base model.
  'chat_template.jinja',
  'chat_template.json',
];
export const REQUIRED_FILES = ['config.json', 'tokenizer.json'];
const INDEX_FILE = 'model.safetensors.index.json';

interface TreeEntry {
  type: string;
  path: string;
  size?: number;
  lfs?: { oid?: string; size?: number };
}

export async function discoverModelFiles(hub: HubSettings, repo: string, revision: string, signal?: AbortSignal): Promise<{ files: RemoteFile[]; via: 'tree-api' | 'probe' }> {
  const tree = await fetchTree(hub, repo, revision, signal);
  if (tree) return { files: await selectFromTree(hub, repo, revision, tree, signal), via: 'tree-api' };
  return { files: await probeStandardNames(hub, repo, revision, signal), via: 'probe' };
}

/** The tree listing, or null when the endpoint has no usable API (then we probe). */
async function fetchTree(hub: HubSettings, repo: string, revision: string, signal?: AbortSignal): Promise<TreeEntry[] | null> {
  return withHubDeadline(hub, `the file list of ${repo}`, signal, async (deadline) => {
    let res: Response;
    try {
      res = await hubFetch(hub, treeApiUrl(hub, repo, revision), { signal: deadline });
    } catch (e) {
      if (AppError.from(e).code === 'ABORTED') throw e;
      return null;
    }
    if (res.status === 401 || res.status === 403) throw new AppError('DOWNLOAD_FAILED', describeHttpFailure(res.status, `the file list of ${repo}`, hub));
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    try {
      const json = (await res.json()) as unknown;
      if (!Array.isArray(json)) return null;
      return json.filter((e): e is TreeEntry => !!e && typeof e === 'object' && typeof (e as TreeEntry).path === 'string');
    } catch {
      return null;
    }
  });
}

function fromTreeEntry(e: TreeEntry): RemoteFile {
  const sha = e.lfs?.oid?.replace(/^sha256:/, '').toLowerCase();
  return {
    path: e.path,
    size: e.lfs?.size ?? e.size,
    ...(sha && /^[0-9a-f]{64}$/.test(sha) ? { sha256: sha } : {}),
  };
}

async function selectFromTree(hub: HubSettings, repo: string, revision: string, tree: TreeEntry[], signal?: AbortSignal): Promise<RemoteFile[]> {
  const files = new Map(tree.filter((e) => e.type !== 'directory').map((e) => [e.path, fromTreeEntry(e)]));
  const out: RemoteFile[] = MODEL_METADATA_FILES.filter((n) => files.has(n)).map((n) => files.get(n)!);
  let weights: string[];
  if (files.has(INDEX_FILE)) {
    out.push(files.get(INDEX_FILE)!);
    weights = await shardsOfIndex(hub, repo, revision, signal);
    const missing = weights.filter((w) => !files.has(w));
    if (missing.length) {
      throw new AppError('MISSING_FILE', `${repo}: ${INDEX_FILE} lists ${missing.join(', ')}, which the repo does not contain. The repo is incomplete; pick another revision or model.`);
    }
  } else {
    weights = [...files.keys()].filter((p) => !p.includes('/') && p.endsWith('.safetensors'));
  }
  out.push(...weights.map((w) => files.get(w)!));
  checkComplete(repo, revision, out, files);
  return out;
}

function checkComplete(repo: string, revision: string, out: RemoteFile[], all?: Map<string, RemoteFile>): void {
  const names = new Set(out.map((f) => f.path));
  const missing = REQUIRED_FILES.filter((n) => !names.has(n));
  if (![...names].some((n) => n.endsWith('.safetensors'))) {
    const hasBin = all && [...all.keys()].some((p) => p.endsWith('.bin') || p.endsWith('.pt'));
    throw new AppError(
      'MISSING_FILE',
      `${repo}@${revision} has no .safetensors weights${hasBin ? ' (only PyTorch .bin files, which this app cannot read)' : ''}. Pick a GPTQ repo that ships model.safetensors.`,
    );
  }
  if (missing.length) throw new AppError('MISSING_FILE', `${repo}@${revision} lacks ${missing.join(' and ')}, which the app needs. Pick another repo or revision.`);
}

async function fetchSmallJson(hub: HubSettings, repo: string, revision: string, path: string, signal?: AbortSignal): Promise<unknown> {
  return withHubDeadline(hub, `${repo}/${path}`, signal, async (deadline) => {
    const res = await hubFetch(hub, resolveUrl(hub, repo, revision, path), { signal: deadline });
    if (!res.ok) throw new AppError('DOWNLOAD_FAILED', describeHttpFailure(res.status, `${repo}/${path}`, hub));
    try {
      return await res.json();
    } catch {
      throw new AppError('MALFORMED_CONFIG', `${repo}/${path} is not valid JSON. The repo may be broken; pick another revision.`);
    }
  });
}

async function shardsOfIndex(hub: HubSettings, repo: string, revision: string, signal?: AbortSignal): Promise<string[]> {
  const index = (await fetchSmallJson(hub, repo, revision, INDEX_FILE, signal)) as { weight_map?: Record<string, string> };
  if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) {
    throw new AppError('MALFORMED_CONFIG', `${repo}/${INDEX_FILE} has no weight_map. The repo may be broken; pick another revision.`);
  }
  return [...new Set(Object.values(index.weight_map))].sort();
}

/** Size and sha256 of one file via a 1-byte Range request; null when the file does not exist (404). */
async function probe(hub: HubSettings, repo: string, revision: string, path: string, signal?: AbortSignal): Promise<RemoteFile | null> {
  throwIfAborted(signal);
  const res = await withHubDeadline(hub, `${repo}/${path}`, signal, async (deadline) => {
    const r = await hubFetch(hub, resolveUrl(hub, repo, revision, path), { headers: { range: 'bytes=0-0' }, signal: deadline });
    await r.body?.cancel().catch(() => undefined);
    return r;
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new AppError('DOWNLOAD_FAILED', describeHttpFailure(res.status, `${repo}/${path}`, hub));
  let size: number | undefined;
  const range = res.headers.get('content-range');
  const m = range && /\/(\d+)\s*$/.exec(range);
  if (m) size = Number(m[1]);
  else if (res.status === 200 && res.headers.get('content-length')) size = Number(res.headers.get('content-length'));
  const linked = res.headers.get('x-linked-size');
  if (size === undefined && linked) size = Number(linked);
  const sha256 = sha256FromHeaders(res.headers);
  return { path, ...(size !== undefined ? { size } : {}), ...(sha256 ? { sha256 } : {}) };
}

async function probeStandardNames(hub: HubSettings, repo: string, revision: string, signal?: AbortSignal): Promise<RemoteFile[]> {
  const out: RemoteFile[] = [];
  for (const name of MODEL_METADATA_FILES) {
    const f = await probe(hub, repo, revision, name, signal);
    if (f) out.push(f);
  }
  if (!out.some((f) => f.path === 'config.json')) {
    throw new AppError(
      'MISSING_FILE',
      `Could not find ${repo}/config.json at revision "${revision}" on ${hub.endpoint}. Check the repo id, the revision and the hub endpoint.`,
    );
  }
  const index = await probe(hub, repo, revision, INDEX_FILE, signal);
  if (index) {
    out.push(index);
    for (const shard of await shardsOfIndex(hub, repo, revision, signal)) {
      const f = await probe(hub, repo, revision, shard, signal);
      if (!f) throw new AppError('MISSING_FILE', `${repo}: ${INDEX_FILE} lists ${shard}, which the hub does not have. The repo is incomplete.`);
      out.push(f);
    }
  } else {
    const candidates = ['model.safetensors'];
    if (out.some((f) => f.path === 'quantize_config.json')) {
      const q = (await fetchSmallJson(hub, repo, revision, 'quantize_config.json', signal).catch(() => null)) as { model_file_base_name?: string } | null;
      if (q && typeof q.model_file_base_name === 'string' && q.model_file_base_name) candidates.push(`${q.model_file_base_name}.safetensors`);
    }
    candidates.push('gptq_model-4bit-128g.safetensors');
    for (const name of candidates) {
      const f = await probe(hub, repo, revision, name, signal);
      if (f) {
        out.push(f);
        break;
      }
    }
  }
  checkComplete(repo, revision, out);
  return out;
}
