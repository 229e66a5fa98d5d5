// Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = Σ_lists 1 / (k + rank_list(d)),
// rank starting at 1; a list that does not contain d contributes nothing. Ranks, not raw scores, are fused,
// so BM25 scores and cosine similarities need no calibration against each other.

export const RRF_K = 60;

export interface FusedItem<K> {
  key: K;
  score: number;
}

/**
 * Fuses ranked lists of keys (best first). Ties keep the order of first appearance. `weights` (default 1 each)
 * scale each list's contributions: weighted RRF, for an extra query that should count less than the question.
 */
export function reciprocalRankFusion<K>(lists: readonly (readonly K[])[], k = RRF_K, weights?: readonly number[]): FusedItem<K>[] {
  const scores = new Map<K, number>();
  lists.forEach((list, l) => {
    const w = weights?.[l] ?? 1;
    list.forEach((key, i) => scores.set(key, (scores.get(key) ?? 0) + w / (k + i + 1)));
  });
  return [...scores].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score);
}
