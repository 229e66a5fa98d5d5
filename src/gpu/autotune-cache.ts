// Where the autotuner keeps its choices, so that only the first load on an adapter pays for tuning:
// IndexedDB in the browser (idb-keyval, database "pdfchat-autotune"), a JSON file in Node
// (src/gpu/autotune-cache-node.ts), memory otherwise. Keys are built by src/gpu/autotune.ts from the adapter
// (vendor, architecture, device, description), its features, the layer shape and a hash of the kernel sources.
import { createStore, get, set, type UseStore } from 'idb-keyval';

export interface TuneEntry {
  /** GptqMatvecVariant.name of the fastest correct candidate. */
  variant: string;
  /** Every candidate was measured (false when the time budget ran out first: a later load tunes again). */
  complete: boolean;
  /** ms per call of the chosen variant on the tuning layer, and when it was measured. */
  ms: number;
  at: string;
  /**
   * Every candidate measured so far (an incomplete entry's next load measures only the others), in the terms of
   * the load that wrote the entry (earlier loads' times rescaled by the reference, the first candidate); probeMs:
   * a single call's time (the reference's lets the next load rescale by one call).
   */
  measured?: { variant: string; ms: number; probeMs?: number }[];
}

export interface TuneCache {
  readonly kind: 'indexeddb' | 'file' | 'memory';
  get(key: string): Promise<TuneEntry | undefined>;
  set(key: string, entry: TuneEntry): Promise<void>;
}

/** An entry as the tuner writes it; anything else (a foreign or damaged cache) reads as no entry: tuned again. */
export function isTuneEntry(v: unknown): v is TuneEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  if (typeof e.variant !== 'string' || typeof e.complete !== 'boolean' || typeof e.ms !== 'number') return false;
  if (e.measured === undefined) return true;
  return Array.isArray(e.measured) && e.measured.every((m) => m && typeof m === 'object' && typeof (m as { variant?: unknown }).variant === 'string' && Number.isFinite((m as { ms?: unknown }).ms) && ((m as { probeMs?: unknown }).probeMs === undefined || Number.isFinite((m as { probeMs?: unknown }).probeMs)));
}

const warnedCaches = new WeakSet<TuneCache>();

/**
 * The cache as the tuner uses it: a choice that cannot be read counts as none (tuned again), and one that cannot
 * be written (a read-only ~/.cache, a full IndexedDB quota) is used for this load and said once — never a load that
 * fails because the cache did.
 */
export async function readTuneEntry(cache: TuneCache, key: string): Promise<TuneEntry | undefined> {
  try {
    const v = await cache.get(key);
    return isTuneEntry(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTuneEntry(cache: TuneCache, key: string, entry: TuneEntry): Promise<void> {
  try {
    await cache.set(key, entry);
  } catch (e) {
    if (warnedCaches.has(cache)) return;
    warnedCaches.add(cache);
    const why = e instanceof Error ? e.message : String(e);
    console.warn(`The kernel tuning choices could not be stored (${cache.kind}: ${why}); they are used for this load and measured again on the next. In Node, point PDFCHAT_TUNE_CACHE at a writable file (or pass --no-tune).`);
  }
}

export function memoryTuneCache(): TuneCache {
  const m = new Map<string, TuneEntry>();
  return { kind: 'memory', get: async (k) => m.get(k), set: async (k, v) => { m.set(k, v); } };
}

export function idbTuneCache(): TuneCache {
  let store: UseStore | null = null;
  const s = () => (store ??= createStore('pdfchat-autotune', 'choices'));
  return {
    kind: 'indexeddb',
    get: (k) => get<TuneEntry>(k, s()),
    set: (k, v) => set(k, v, s()),
  };
}

/** IndexedDB where it exists (browser, worker), memory otherwise (Node callers pass the file cache). */
export function defaultTuneCache(): TuneCache {
  return typeof indexedDB !== 'undefined' ? idbTuneCache() : memoryTuneCache();
}
