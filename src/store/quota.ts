// Storage quota: ask for persistent storage, read usage/quota, and turn "the disk/quota is full" into an
// AppError QUOTA_EXCEEDED that says how much is needed and what can be deleted.
//
// Exported API
//   requestPersistentStorage() → true | false | null (null: API absent, e.g. in Node)
//   formatBytes(n) → '1.6 GB'
//   quotaExceededError({ neededBytes, estimate, cachedModels }) → AppError QUOTA_EXCEEDED
//   checkRoomFor(neededBytes, estimate, cachedModels) — throws that error early when the estimate says it cannot fit
import { AppError } from '../shared/errors';
import type { StorageEstimateInfo } from './backend';

export interface CachedModelSize {
  repo: string;
  revision: string;
  bytes: number;
}

/** navigator.storage.persist(): stops the browser from evicting cached models under storage pressure. */
export async function requestPersistentStorage(): Promise<boolean | null> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage?.persist) return null;
  try {
    if (storage.persisted && (await storage.persisted())) return true;
    return await storage.persist();
  } catch {
    return false;
  }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '? B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function quotaExceededError(args: { neededBytes: number; estimate: StorageEstimateInfo | null; cachedModels: CachedModelSize[]; file?: string }): AppError {
  const { neededBytes, estimate, cachedModels } = args;
  const free = estimate ? Math.max(0, estimate.quota - estimate.usage) : null;
  const parts = [`Not enough storage for this model: it needs ${formatBytes(neededBytes)} more`];
  if (estimate && free !== null) parts[0] += `, but the browser lets this site store only ${formatBytes(free)} more (${formatBytes(estimate.usage)} used of ${formatBytes(estimate.quota)})`;
  parts[0] += '.';
  const deletable = cachedModels.filter((m) => m.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  if (deletable.length) {
    parts.push(`Delete a cached model to make room: ${deletable.map((m) => `${m.repo}${m.revision === 'main' ? '' : `@${m.revision}`} (${formatBytes(m.bytes)})`).join(', ')}.`);
  }
  parts.push('Or free disk space (browsers give each site a share of the free disk), then retry: the bytes already downloaded are kept.');
  return new AppError('QUOTA_EXCEEDED', parts.join(' '), { neededBytes, ...(estimate ? { usage: estimate.usage, quota: estimate.quota } : {}), ...(args.file ? { file: args.file } : {}) });
}

/** Throws QUOTA_EXCEEDED before a download when the estimate says the remaining bytes cannot fit. */
export function checkRoomFor(neededBytes: number, estimate: StorageEstimateInfo | null, cachedModels: CachedModelSize[]): void {
  if (!estimate || estimate.quota <= 0) return;
  if (neededBytes > estimate.quota - estimate.usage) throw quotaExceededError({ neededBytes, estimate, cachedModels });
}
