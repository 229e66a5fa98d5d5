// The Hugging Face hub (or a mirror / local server with the same URL scheme): URLs and the one fetch
// wrapper every store request goes through. Only src/store touches the network (DESIGN.md).
//
// Exported API
//   interface HubSettings { endpoint; token? }            DEFAULT_ENDPOINT = 'https://huggingface.co'
//   normalizeEndpoint(s) → 'https://host[/base]' (no trailing slash) or BAD_ARGUMENT
//   validateRepoId(repo) → 'owner/name' trimmed, or BAD_ARGUMENT
//   resolveUrl(hub, repo, revision, path) = `${endpoint}/${repo}/resolve/${revision}/${path}`
//   treeApiUrl(hub, repo, revision) = `${endpoint}/api/models/${repo}/tree/${revision}`
//   hubFetch(hub, url, init) — fetch with referrerPolicy 'no-referrer', no cookies, no HTTP cache; the access
//       token goes ONLY to the endpoint's origin; network failures become AppError DOWNLOAD_FAILED and aborts
//       AppError ABORTED
//   sha256FromHeaders(headers) — the sha256 the hub announces for LFS files (x-linked-etag or ETag), or undefined
//   describeHttpFailure(status, what, hub) — a user-facing message for a failed response
import { AppError } from '../shared/errors';
import { StallGuard } from './stall-guard';

export interface HubSettings {
  /** e.g. 'https://huggingface.co', a self-hosted mirror, or 'http://127.0.0.1:8080' in tests. */
  endpoint: string;
  /** Hugging Face access token for gated/private repos; sent only to `endpoint`. */
  token?: string;
  /** Deadline of one small metadata request (withHubDeadline); default HUB_METADATA_TIMEOUT_MS. */
  metadataTimeoutMs?: number;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export function normalizeEndpoint(s: string | undefined): string {
  const raw = (s ?? '').trim() || DEFAULT_ENDPOINT;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AppError('BAD_ARGUMENT', `The hub endpoint "${raw}" is not a URL. Use something like ${DEFAULT_ENDPOINT}.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new AppError('BAD_ARGUMENT', `The hub endpoint must start with https:// (or http:// for a local server), not "${u.protocol}".`);
  }
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function validateRepoId(repo: string): string {
  const r = repo.trim().replace(/^https?:\/\/[^/]+\//, '').replace(/\/+$/, '');
  if (!REPO_RE.test(r) || r.includes('..')) {
    throw new AppError('BAD_ARGUMENT', `"${repo}" is not a Hugging Face repo id. It looks like owner/name, e.g. TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ.`);
  }
  return r;
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export function resolveUrl(hub: HubSettings, repo: string, revision: string, path: string): string {
  return `${normalizeEndpoint(hub.endpoint)}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

export function treeApiUrl(hub: HubSettings, repo: string, revision: string): string {
  return `${normalizeEndpoint(hub.endpoint)}/api/models/${repo}/tree/${encodeURIComponent(revision)}`;
}

export interface HubFetchInit {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function hubFetch(hub: HubSettings, url: string, init: HubFetchInit = {}): Promise<Response> {
  const endpoint = normalizeEndpoint(hub.endpoint);
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (hub.token && new URL(url).origin === new URL(endpoint).origin) headers.authorization = `Bearer ${hub.token}`;
  try {
    return await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      signal: init.signal,
      referrerPolicy: 'no-referrer',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'follow',
    });
  } catch (e) {
    if (init.signal?.aborted) throw new AppError('ABORTED', 'The download was cancelled.');
    throw new AppError(
      'DOWNLOAD_FAILED',
      `Could not reach ${endpoint} (${e instanceof Error ? e.message : String(e)}). Check your connection or the hub endpoint in Settings, then retry (bytes already downloaded are kept); if you cannot reach the hub, open a model folder from disk instead.`,
      { url },
    );
  }
}

/** How long a small metadata request (a file list, a config file, a 1-byte probe) may take, body included. */
export const HUB_METADATA_TIMEOUT_MS = 30_000;

/**
 * Runs one small metadata request (`work`, given a signal to pass to hubFetch) with a deadline: a hub that
 * accepts the connection and then says nothing would otherwise leave "Checking…" or a download's discovery
 * waiting forever (fetch has no timeout, nor has reading a body). Past the deadline the request is aborted and
 * this rejects with DOWNLOAD_FAILED saying so; the caller's own signal still cancels (ABORTED). Large files go
 * through download.ts, which times each wait for bytes instead.
 */
export async function withHubDeadline<T>(hub: HubSettings, what: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>, ms = hub.metadataTimeoutMs ?? HUB_METADATA_TIMEOUT_MS): Promise<T> {
  const guard = new StallGuard(ms, () => new AppError('DOWNLOAD_FAILED', `${normalizeEndpoint(hub.endpoint)} did not answer within ${ms / 1000} s while fetching ${what}. Check your connection or the hub endpoint in Settings, then try again.`, { timedOut: true }), signal);
  try {
    return await guard.wait(work(guard.signal));
  } catch (e) {
    // A cancel fails the read in whatever way the work maps it (a body cut off reads as bad JSON): it is a cancel.
    if (signal?.aborted) throw new AppError('ABORTED', 'Cancelled.');
    throw e;
  } finally {
    guard.dispose();
  }
}

/** The sha256 the hub announces: LFS files carry it in x-linked-etag (on the redirect) or ETag (final response). */
export function sha256FromHeaders(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const v = headers.get(name);
    if (!v) continue;
    const tag = v.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(tag)) return tag;
  }
  return undefined;
}

export function describeHttpFailure(status: number, what: string, hub: HubSettings): string {
  const endpoint = normalizeEndpoint(hub.endpoint);
  if (status === 401 || status === 403) {
    return `${endpoint} refused ${what} (HTTP ${status}). The repo may be gated or private: accept its licence on the hub and enter an access token in Settings.`;
  }
  if (status === 404) return `${what} was not found on ${endpoint} (HTTP 404). Check the repo id and revision.`;
  if (status === 429) return `${endpoint} is rate-limiting downloads (HTTP 429). Wait a minute, then retry.`;
  if (status >= 500) return `${endpoint} failed while sending ${what} (HTTP ${status}). Retry later; the bytes already stored are kept.`;
  return `${endpoint} answered HTTP ${status} for ${what}.`;
}
