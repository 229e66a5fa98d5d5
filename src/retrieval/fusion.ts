// Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = Σ_lists 1 / (k + rank_list(d)),
// rank starting at 1; a list that does not contain d contributes nothing. Ranks, not raw scores, are fused,
// so BM25 scores and cosine similarities need no calibration against each other.

export const RRF_K = 60;

export interface FusedItem<K> {
  key: K;
  score: number;
}

/** Fuses ranked lists of keys (best first). Ties keep the order of first appearance. */
export function reciprocalRankFusion<K>(lists: readonly (readonly K[])[], k = RRF_K): FusedItem<K>[] {
  const scores = new Map<K, number>();
  for (const list of lists) {
    list.forEach((key, i) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + i + 1)));
  }
  return [...scores].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score);
}
