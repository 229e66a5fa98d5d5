// When is a hit "confident"? Used to say "the documents don't answer this" instead of citing an unrelated
// page. A passage is a confident hit when either signal is strong:
// - lexical: at least LEXICAL_CONFIDENT of the query's IDF mass occurs in the passage (bm25.queryCoverage);
// - dense: cosine similarity of query and passage vectors is at least DENSE_CONFIDENT.
// LEXICAL_CONFIDENT was set with the no-answer questions of eval/retrieval-questions.json (see
// docs/RETRIEVAL.md); DENSE_CONFIDENT is the usual relevance floor for MiniLM sentence embeddings and has
// not been measured here (no model could be downloaded on the development machine).

export const LEXICAL_CONFIDENT = 0.5;
export const DENSE_CONFIDENT = 0.45;

export function isConfident(lexicalCoverage: number, cosine: number | undefined): boolean {
  return lexicalCoverage >= LEXICAL_CONFIDENT || (cosine !== undefined && cosine >= DENSE_CONFIDENT);
}
