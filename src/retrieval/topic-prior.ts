// Topic continuity for follow-up questions: the answer to "Does it hand back the old settings?" is most
// often on, or next to, a page that the previous turn found. For a question that leans on the conversation
// (follow-up-signal.ts) the previous turn's pages (ConversationTurn.pages, best first) become a prior:
//   the page at rank r gets  followUpPagePrior / (r + 1),  a page d pages away from it (same document,
//   d ≤ PRIOR_REACH) that share halved d times,
// either added as that share of the best lexical score ('add') or as a factor (1 + share) on the page's own
// score ('scale'). A page takes the largest prior any previous page gives it.
// Gate (followUpPriorGate): when the question's own words alone find a confident passage that is not within
// PRIOR_REACH pages of any previous page, the question is taken for a change of topic and gets no prior (a
// question like "How do I force R to behave interactively when its input comes from a pipe?" contains "its"
// but stands on its own words).
import { byScore, type LexicalHit } from './bm25';
import type { LexicalConfig } from './lexical-config';

export interface PageRef {
  docId: string;
  page: number;
}

/** The prior a follow-up gets: the previous turn's pages, and whether the gate took the question for a change of topic. */
export interface TopicPrior {
  pages: readonly PageRef[];
  topicChanged: boolean;
}

/** How many pages either side of a previous page the prior reaches. */
export const PRIOR_REACH = 2;

/** The prior share of each page near the previous turn's pages (page key `${docId}\u0000${page}`). */
export function topicPriorShares(pages: readonly PageRef[], strength: number): Map<string, number> {
  const share = new Map<string, number>();
  pages.forEach((p, r) => {
    for (let d = -PRIOR_REACH; d <= PRIOR_REACH; d++) {
      const k = `${p.docId}\u0000${p.page + d}`;
      const s = strength / (r + 1) / 2 ** Math.abs(d);
      share.set(k, Math.max(share.get(k) ?? 0, s));
    }
  });
  return share;
}

/** Whether the prior applies, given the best hit of the question's own words (undefined: none). */
export function topicContinues(ownTop: (PageRef & { confident: boolean }) | undefined, pages: readonly PageRef[]): boolean {
  if (!ownTop || !ownTop.confident) return true;
  return pages.some((p) => p.docId === ownTop.docId && Math.abs(p.page - ownTop.page) <= PRIOR_REACH);
}

/** Hits (any order) re-scored with the prior and sorted best first. `pageOf` gives a hit's page. */
export function withTopicPrior(
  hits: readonly LexicalHit[],
  pages: readonly PageRef[],
  pageOf: (h: LexicalHit) => number,
  config: Pick<LexicalConfig, 'followUpPagePrior' | 'followUpPriorFusion'>,
): LexicalHit[] {
  if (hits.length === 0 || pages.length === 0 || config.followUpPagePrior <= 0) return [...hits].sort(byScore);
  const share = topicPriorShares(pages, config.followUpPagePrior);
  const best = hits.reduce((m, h) => Math.max(m, h.score), -Infinity); // (no spread: a big library has 100k+ hits)
  const scale = config.followUpPriorFusion === 'scale';
  return hits
    .map((h) => {
      const s = share.get(`${h.docId}\u0000${pageOf(h)}`) ?? 0;
      return s === 0 ? h : { ...h, score: scale ? h.score * (1 + s) : h.score + s * best };
    })
    .sort(byScore);
}
