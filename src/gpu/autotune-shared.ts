// What every autotuner shares (GPTQ matvec variants, src/gpu/autotune.ts; dense matvec variants,
// src/gpu/autotune-dense.ts; prefill matmul tiles, src/gpu/autotune-matmul.ts): the cache key's adapter part,
// random tuning layers, the per-shape cache decision, and the measuring loop: for each candidate in order — take
// a time measured on an earlier load (rescaled, see below), skip it once the deadline has passed (the first
// candidate, the default, is always measured), bind it, run it once and check its output against the CPU twin,
// time one call and drop it untimed when it is over PRUNE_FACTOR x the best so far, else calibrate — then
// `rounds` interleaved rounds (A, B, …, A, B, …), best of each; then, while the best two are a close call (within
// CLOSE_CALL of each other) and the deadline (or a short grace past it) allows, up to CLOSE_CALL_ROUNDS more interleaved rounds among the
// candidates within CLOSE_CALL of the best — on a shared machine two rounds can let noise pick the slower of two
// near variants (seen on lavapipe: rows-per-thread chosen over rows-per-thread vec4 r4 for a layer where the r4
// kernel is 1.28x faster over six interleaved rounds). Not for costAware kernels (seconds per call there).
// Resuming fairly: times from an earlier load were taken under that load's conditions (another process busy, a
// clock boosted or not), so they are never compared raw with this load's. The first candidate is the reference:
// it is measured on every load that measures anything, and every earlier time is multiplied by
// (reference now / reference then) — its full time for the matvecs; for costAware kernels (the prefill matmul,
// seconds per call on a CPU driver) only its single-call probe is taken again and compared with the earlier
// load's probe. The times written back are thus all in this load's terms, and the next load rescales them again.
// Earlier times without a reference in both loads are dropped (measured again).
// Cached choices are not taken on trust: every load re-checks each one's output against the CPU twin (one call,
// `checkOnly`, on at most RECHECK_ROWS rows of the shape) before it is used, since the cache key names the
// adapter but not its driver; one that fails is set aside (TuneDecision.staleChoice) and the shape tuned again.
import { AppError, throwIfAborted } from '../shared/errors';
import { f32ToF16Bits } from '../shared/f16';
import { readTuneEntry, writeTuneEntry, type TuneCache } from './autotune-cache';
import type { GpuContext } from './context';
import type { PackedGptq } from './gptq-repack';
import { calibrateReps, type EncodeFn, type GpuTimer } from './timing';

export interface TuneCandidate {
  variant: string;
  ms: number | null;
  relErr: number | null;
  note?: string;
  /** One call on one weight copy, this load (the reference's is kept: a costAware resume rescales by it). */
  probeMs?: number;
  /** Timed rounds when more than the usual (a close call, CLOSE_CALL). */
  rounds?: number;
}

/** A time an earlier load measured (in that load's terms; probeMs: its single-call probe). */
export interface EarlierTime { variant: string; ms: number; probeMs?: number }

export const EARLIER_NOTE = 'measured on an earlier load, rescaled by the reference';

/** One candidate, bound on demand (binding compiles its pipeline: the deadline is checked first). */
export interface MeasureCandidate {
  name: string;
  /**
   * Variants built the same way (e.g. every split-K variant): once one of them is over PRUNE_FACTOR x the best on
   * one call, the rest of its family is not bound or timed (on a CPU driver each split-K pipeline costs seconds to
   * compile, and all of them are 4-10x slower there).
   */
  family?: string;
  tolerance: number;
  bind(): {
    /** One call on one weight copy (the check, and the pruning probe). */
    once: EncodeFn;
    /** One call on every weight copy (the timed unit). */
    all: EncodeFn;
    /** Runs nothing: reads the output of the last `once` and returns its error vs the CPU twin. */
    error(): Promise<number>;
  };
}

/**
 * Cancelling and progress for a tuning run (the model load's AbortSignal and progress): `shape` is called as each
 * shape starts and throws ABORTED once `signal` is aborted; measureCandidates also checks `signal` before each
 * candidate and each round, so a cancel takes effect within one timed call. Shapes finished before stay cached.
 */
export interface TuneWatch {
  signal?: AbortSignal;
  shape?(kernel: NonNullable<TuneDecision['kernel']>, shape: string): void;
}

/** Calls watch.shape (which throws once the signal is aborted). */
export function watchShape(watch: TuneWatch | undefined, kernel: NonNullable<TuneDecision['kernel']>, shape: string): void {
  throwIfAborted(watch?.signal);
  watch?.shape?.(kernel, shape);
}

/** A candidate whose single-call time is over this many times the best so far is dropped untimed. */
export const PRUNE_FACTOR = 4;
export const FAMILY_NOTE = `not measured: another variant of its family was over ${PRUNE_FACTOR}x slower than the best on one call`;

/** Two candidates whose best times are within this factor are a close call (more rounds decide). */
export const CLOSE_CALL = 1.2;
/** At most this many extra interleaved rounds for a close call. */
export const CLOSE_CALL_ROUNDS = 4;
/** Extra rounds start before the deadline or within this many ms of the shape's regular rounds, whichever is later. */
export const CLOSE_CALL_GRACE_MS = 400;

/** Indices of the candidates within CLOSE_CALL of the best time, when at least two are (else none: no close call). */
export function closeCallContenders(best: readonly number[]): number[] {
  const finite = best.filter((b) => Number.isFinite(b));
  if (finite.length < 2) return [];
  const top = Math.min(...finite);
  const near = best.flatMap((b, i) => (Number.isFinite(b) && b <= CLOSE_CALL * top ? [i] : []));
  return near.length >= 2 ? near : [];
}

/** Max |a - b| relative to max |b| (NaN anywhere: Infinity). */
export function relErr(a: Float32Array, b: Float32Array): number {
  let mx = 0, d = 0;
  for (let i = 0; i < b.length; i++) {
    mx = Math.max(mx, Math.abs(b[i]));
    const e = Math.abs(a[i] - b[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
  }
  return d / (mx || 1);
}

/**
 * Output rows of the layer a cached choice is re-checked on (its K, group layout and M as tuned, at most this many
 * of its N rows): the re-check runs on every load, so it must cost little on a CPU driver too.
 */
export const RECHECK_ROWS = 1024;

/** The note of a candidate whose output did not match its CPU twin on the check slice. */
export const WRONG_NOTE = 'wrong output on this adapter';

export async function measureCandidates(ctx: GpuContext, timer: GpuTimer, list: MeasureCandidate[], o: {
  deadline: number; minMs: number; rounds: number; copies: number; earlier: EarlierTime[]; maxReps?: number;
  /** Called before each candidate's check call (e.g. to fill the output with NaN). */
  beforeCheck?: () => void;
  /** This load's times are multiplied by this (default 1: e.g. the whole shape when a part of it was timed). */
  msScale?: number;
  /**
   * Expensive kernels (the prefill matmul on a CPU driver: seconds per call): a resumed reference is checked and
   * probed (2 calls) instead of timed in full, and a candidate starts only when (2 + rounds x copies) x the
   * reference's single-call time still fits before the deadline, so that one candidate never overruns much.
   */
  costAware?: boolean;
  /** Checked before each candidate and each round (ABORTED). */
  signal?: AbortSignal;
  /** Only check each candidate's output (one call each; nothing timed, ms stays null): a cached choice's re-check. */
  checkOnly?: boolean;
}): Promise<{ candidates: TuneCandidate[]; complete: boolean }> {
  const live: { c: TuneCandidate; all: EncodeFn; reps: number; best: number }[] = [];
  const candidates: TuneCandidate[] = [];
  const scale = o.msScale ?? 1;
  // Earlier times count only with the reference's earlier time (and probe, costAware) to rescale them by.
  const refThen = o.earlier.find((e) => e.variant === list[0]?.name && (!o.costAware || (e.probeMs ?? 0) > 0));
  const earlier = refThen ? o.earlier : [];
  const fromEarlier: { c: TuneCandidate; then: number }[] = [];
  let refProbeRatio: number | null = null; // costAware resume: reference probe now / then
  let complete = true;
  let bestProbe = Infinity;
  let firstMs = 0; // the reference's single-call time (costAware)
  const prunedFamilies = new Set<string>();
  for (const [i, cand] of list.entries()) {
    throwIfAborted(o.signal);
    if (i > 0 && cand.family !== undefined && prunedFamilies.has(cand.family)) {
      candidates.push({ variant: cand.name, ms: null, relErr: null, note: `${FAMILY_NOTE} (${cand.family})` });
      continue;
    }
    const before = i > 0 ? earlier.find((e) => e.variant === cand.name) : undefined;
    if (before) {
      const c: TuneCandidate = { variant: cand.name, ms: null, relErr: null, note: EARLIER_NOTE };
      candidates.push(c);
      fromEarlier.push({ c, then: before.ms });
      continue;
    }
    const cost = o.costAware ? (2 + o.rounds * o.copies) * firstMs : 0;
    if (i > 0 && performance.now() + cost > o.deadline) { complete = false; candidates.push({ variant: cand.name, ms: null, relErr: null, note: 'time budget spent' }); continue; }
    const c: TuneCandidate = { variant: cand.name, ms: null, relErr: null };
    candidates.push(c);
    const b = cand.bind();
    o.beforeCheck?.();
    await timer.time(b.once, 1);
    if (ctx.firstError) throw new AppError('INTERNAL', `GPU error while tuning ${cand.name}: ${ctx.firstError.message.split('\n')[0]}`);
    c.relErr = await b.error();
    if (!(c.relErr <= cand.tolerance)) { c.note = WRONG_NOTE; continue; }
    if (o.checkOnly) continue;
    const probe = await timer.time(b.once, 1);
    c.probeMs = probe;
    if (probe > PRUNE_FACTOR * bestProbe) {
      c.ms = probe * scale;
      c.note = `over ${PRUNE_FACTOR}x slower than the best on one call; not timed further`;
      if (cand.family !== undefined) prunedFamilies.add(cand.family);
      continue;
    }
    bestProbe = Math.min(bestProbe, probe);
    if (i === 0) firstMs = probe;
    if (i === 0 && o.costAware && refThen) {
      // The reference's earlier full time, in this load's terms by its single call now vs then.
      refProbeRatio = probe / refThen.probeMs!;
      c.ms = refThen.ms * refProbeRatio;
      c.note = 'earlier time rescaled by one call this load';
      continue;
    }
    // A single call on every copy already lasting minMs needs no calibration (the prefill matmul on a CPU driver).
    const reps = probe * o.copies >= o.minMs ? 1 : await calibrateReps(timer, b.all, o.minMs, o.maxReps ?? 32);
    live.push({ c, all: b.all, reps, best: Infinity });
  }
  for (let r = 0; r < o.rounds; r++) {
    throwIfAborted(o.signal);
    for (const l of live) l.best = Math.min(l.best, await timer.time(l.all, l.reps));
  }
  // A close call may run past the deadline, by at most CLOSE_CALL_GRACE_MS per shape.
  const closeCallEnd = Math.max(o.deadline, performance.now() + CLOSE_CALL_GRACE_MS);
  for (let extra = 0; !o.costAware && extra < CLOSE_CALL_ROUNDS && performance.now() < closeCallEnd; extra++) {
    const near = closeCallContenders(live.map((l) => l.best));
    if (near.length === 0) break;
    for (const i of near) {
      live[i].best = Math.min(live[i].best, await timer.time(live[i].all, live[i].reps));
      live[i].c.rounds = (live[i].c.rounds ?? o.rounds) + 1;
    }
  }
  for (const l of live) l.c.ms = (l.best / o.copies) * scale;
  // Earlier times in this load's terms: x (reference now / reference then).
  const ref = candidates[0];
  const ratio = refProbeRatio ?? (refThen && ref?.note === undefined && ref.ms !== null ? ref.ms / refThen.ms : null);
  for (const e of fromEarlier) {
    if (ratio !== null && Number.isFinite(ratio)) e.c.ms = e.then * ratio;
    else { e.c.note = 'measured on an earlier load; no reference time this load to compare it by'; complete = false; }
  }
  return { candidates, complete };
}

export interface GptqShape { K: number; N: number; groupSize: number; nGroups: number }

export function shapeKey(s: GptqShape): string {
  return `K=${s.K} N=${s.N} g=${s.groupSize}`;
}

/** FNV-1a over a string, 2 × 32 bits (seeded differently) as 16 hex digits. */
export function sourceHash(text: string): string {
  const h = (seed: number) => {
    let x = seed >>> 0;
    for (let i = 0; i < text.length; i++) { x ^= text.charCodeAt(i); x = Math.imul(x, 0x01000193) >>> 0; }
    return x.toString(16).padStart(8, '0');
  };
  return h(0x811c9dc5) + h(0x2166136a);
}

/** A cache key: the kernel, the adapter's vendor / architecture / device / description and features, the shape, the sources' hash. */
export function cacheKey(ctx: GpuContext, kernel: string, shape: string, sources: string): string {
  const a = ctx.adapterInfo;
  return JSON.stringify({
    kernel, vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description,
    features: { f16: ctx.f16, subgroups: ctx.subgroups }, shape, sources: sourceHash(sources),
  });
}

export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** A random layer of the shape: random nibbles, scales in [0.002, 0.022), zeros 1..15. */
export function randomLayer(s: GptqShape): PackedGptq {
  const r = xorshift(s.K * 7919 + s.N);
  const words = new Uint32Array((s.N * s.K) / 8);
  for (let i = 0; i < words.length; i++) words[i] = r();
  const sz = new Uint32Array(s.N * s.nGroups);
  for (let i = 0; i < sz.length; i++) sz[i] = f32ToF16Bits(0.002 + (r() / 2 ** 32) * 0.02) | ((1 + (r() % 15)) << 16);
  return { K: s.K, N: s.N, groupSize: s.groupSize, nGroups: s.nGroups, words, sz, perm: null, bias: null };
}

/** The given rows of a packed layer (a check slice), in that order. */
export function pickRows(p: PackedGptq, rows: number[]): PackedGptq {
  const W8 = p.K / 8;
  const words = new Uint32Array(rows.length * W8);
  const sz = new Uint32Array(rows.length * p.nGroups);
  rows.forEach((r, i) => {
    words.set(p.words.subarray(r * W8, (r + 1) * W8), i * W8);
    sz.set(p.sz.subarray(r * p.nGroups, (r + 1) * p.nGroups), i * p.nGroups);
  });
  return { ...p, N: rows.length, words, sz };
}

export interface TuneDecision {
  /** Which kernel the choice is for (absent: the GPTQ matvec, as in caches written before the others existed). */
  kernel?: 'gptq-matvec' | 'dense-matvec' | 'gptq-matmul' | 'dense-matmul';
  shape: string;
  variant: string;
  fromCache: boolean;
  complete: boolean;
  /** Measured this load (absent when the choice came from the cache or the layer is too small to tune). */
  candidates?: TuneCandidate[];
  /** Why the shape was not tuned. */
  skipped?: string;
  /**
   * The cached choice this load set aside: its output no longer matched the CPU twin when re-checked (a driver or
   * browser update the cache key cannot see), so the shape was tuned again.
   */
  staleChoice?: { variant: string; relErr: number | null };
}

/**
 * A tuner's work on one shape: measure every candidate (resuming what an earlier, incomplete load measured), or,
 * with `only`, just check that candidate's output (one call, one weight copy, nothing timed).
 */
export type MeasureShape = (earlier: EarlierTime[], only?: string) => Promise<{ candidates: TuneCandidate[]; complete: boolean }>;

/**
 * decideWithCache for a kernel whose single call can take seconds (the prefill matmuls on a CPU driver): past the
 * deadline, a shape not complete in the cache measures nothing, not even its default; its earlier choice (else the
 * fallback) stands for this load, incomplete, and a later load goes on.
 */
export async function decideUnlessPastDeadline(cache: TuneCache, key: string, d: { kernel: NonNullable<TuneDecision['kernel']>; shape: string; fallback: string }, deadline: number,
  measure: MeasureShape): Promise<TuneDecision> {
  const hit = await readTuneEntry(cache, key);
  if (!hit?.complete && performance.now() > deadline) {
    return { kernel: d.kernel, shape: d.shape, variant: hit?.variant ?? d.fallback, fromCache: false, complete: false, skipped: 'time budget spent' };
  }
  return decideWithCache(cache, key, d, measure);
}

/**
 * One shape's choice: from the cache when complete there and the cached candidate's output still matches the CPU
 * twin (re-checked with one call on every load: the key names the adapter and kernel sources but not its driver,
 * and a driver or browser update can break a kernel that was right when it was tuned); else measured (`measure`
 * gets what an earlier, incomplete load measured; nothing when the cached choice failed its re-check) and cached.
 * The fastest correct candidate that was timed wins; `fallback` when none was.
 */
export async function decideWithCache(cache: TuneCache, key: string, d: { kernel: NonNullable<TuneDecision['kernel']>; shape: string; fallback: string },
  measure: MeasureShape): Promise<TuneDecision> {
  const hit = await readTuneEntry(cache, key);
  let staleChoice: TuneDecision['staleChoice'];
  if (hit && hit.complete) {
    const checked = (await measure([], hit.variant)).candidates.find((c) => c.variant === hit.variant);
    if (checked && checked.relErr !== null && checked.note === undefined) return { kernel: d.kernel, shape: d.shape, variant: hit.variant, fromCache: true, complete: true };
    // Wrong now, or no longer a candidate here (it then was not run: relErr null).
    staleChoice = { variant: hit.variant, relErr: checked?.relErr ?? null };
  }
  const { candidates, complete } = await measure(staleChoice ? [] : hit?.measured ?? []);
  const ok = candidates.filter((c) => c.ms !== null).sort((a, b) => a.ms! - b.ms!);
  const best = ok.find((c) => !c.note?.startsWith('over ')) ?? { variant: d.fallback, ms: 0 };
  // All in this load's terms (earlier ones rescaled); the probes let a costAware resume rescale again.
  const measured = ok.map((c) => ({ variant: c.variant, ms: c.ms!, ...(c.probeMs !== undefined ? { probeMs: c.probeMs } : {}) }));
  await writeTuneEntry(cache, key, { variant: best.variant, complete, ms: best.ms ?? 0, at: new Date().toISOString(), measured });
  return { kernel: d.kernel, shape: d.shape, variant: best.variant, fromCache: false, complete, candidates, ...(staleChoice ? { staleChoice } : {}) };
}
