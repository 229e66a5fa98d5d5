// When is a hit "confident"? Used to say "the documents don't answer this" instead of citing an unrelated
// page. A passage is a confident hit when either signal is strong:
// - lexical: at least LEXICAL_CONFIDENT (Latin-script query) or LEXICAL_CONFIDENT_CJK (a query that is at
//   least CJK_QUERY_SHARE CJK) of the query's IDF mass occurs in the passage or its context
//   (LexicalRanker.coverage);
// - dense: cosine similarity of query and passage vectors is at least the model's floor (its embedding
//   profile's confidentCosine: DENSE_CONFIDENT for MiniLM; none for multilingual-e5-small, whose cosines sit at
//   0.7–1.0 even for unrelated texts, so for E5 documents only lexical coverage makes a hit confident).
// The two lexical thresholds, measured on the dev split of eval/questions-docs.json (`npm run eval:retrieval --
// --dev-only`, changing them): Chinese coverage runs lower (bigrams straddling words rarely match), so at 0.25
// 8/42 answerable Chinese questions were wrongly "not found", at 0.20 6/42 and at 0.15 2/42, while 4/4, 4/4
// and 3/4 unanswerable ones were caught: 0.20. English caught 3/6 at 0.25, 5/6 at 0.30 and 6/6 at 0.35 with no
// answerable question rejected on dev — but 0.35 rejected 4/54 answerable test questions (0 at 0.25) and 9/35
// on the fixture set (3 at 0.25): six unanswerable dev questions were too few to move it, so English stayed at
// 0.25 (docs/RETRIEVAL.md). Session 4 doubled the English dev split (94 answerable, 10 unanswerable): 0.25 caught
// 4/10, 0.30 7/10, 0.35 9/10, with 0, 0 and 2 of 94 answerable questions wrongly "not found", and at 0.30 the answer
// page stays among the confident top 5 (the passages the model is given) for every dev question that had it
// (76/94 either way); on the fixture set 0.30 costs one answerable question (3 → 4 of 35 "not found"). So 0.30.
// DENSE_CONFIDENT is the usual relevance floor for MiniLM sentence embeddings and has
// not been measured here (no model could be downloaded on the development machine).
import { cjkShare } from './lexical-terms';

export const LEXICAL_CONFIDENT = 0.3;
export const LEXICAL_CONFIDENT_CJK = 0.2;
export const CJK_QUERY_SHARE = 0.2;
export const DENSE_CONFIDENT = 0.45;

/** The lexical coverage a passage needs for this query. */
export function lexicalThreshold(query: string): number {
  return cjkShare(query) >= CJK_QUERY_SHARE ? LEXICAL_CONFIDENT_CJK : LEXICAL_CONFIDENT;
}

/** `denseFloor`: the cosine that makes a hit confident for the passage's model; null = cosine never does. */
export function isConfident(lexicalCoverage: number, cosine: number | undefined, threshold = LEXICAL_CONFIDENT, denseFloor: number | null = DENSE_CONFIDENT): boolean {
  return lexicalCoverage >= threshold || (cosine !== undefined && denseFloor !== null && cosine >= denseFloor);
}
