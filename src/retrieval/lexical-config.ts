// The knobs of lexical (BM25) retrieval, one place. DEFAULT_LEXICAL is what the app and the CLI use; the
// evaluation (scripts/eval-retrieval.ts --ablate) switches each improvement off in turn to measure it.

export interface LexicalConfig {
  /** English (and other Latin-script) words: Porter stemming (npm `stemmer`). */
  stemming: boolean;
  /** English: British spellings mapped to American ones before stemming (lexical-terms.ts; colour → color). */
  britishSpellings: boolean;
  /**
   * Chinese: Traditional text (and Taiwan wording) indexed and asked as mainland Simplified (npm `opencc-js`,
   * twp → cn: 設定 → 设置, 記憶體 → 内存), so a question in either script finds a manual in the other.
   */
  simplifiedChinese: boolean;
  /** Drop stop words (npm `stopword`: English and Chinese lists) from the index and the query. */
  stopWords: boolean;
  /** Chinese: Intl.Segmenter words as extra terms alongside the character bigrams. */
  segmentWords: boolean;
  /** Okapi BM25 term-frequency saturation k1 and length normalisation b, for all three indexes. */
  bm25K1: number;
  bm25B: number;
  /** Chinese: single characters (not stop characters) indexed alongside the bigrams, at this query weight; 0 = off. */
  cjkUnigramWeight: number;
  /** Weight of the page's BM25 score (the page as one passage) added to each of its chunks' scores. */
  pageWeight: number;
  /** Weight of the better of the two neighbouring chunks' scores (same document) added to a chunk's score. */
  neighbourWeight: number;
  /** Weight of the section heading (and running head) a chunk sits under, indexed with the chunk. */
  headingWeight: number;
  /**
   * Captions and footnotes in a chunk's context: 'page' = all of the page's, for every chunk; 'passage' =
   * a footnote for the chunk holding its mark, a caption for the chunks next to it (passage-context.ts).
   */
  contextAttachment: 'page' | 'passage';
  /** Pseudo-relevance feedback (RM3): expansion terms taken from the top passages; 0 = off. */
  feedbackTerms: number;
  /** How many top passages feed the expansion. */
  feedbackDocs: number;
  /** Weight of the original query against the expansion (RM3's λ). */
  feedbackOriginalWeight: number;
  /** Score multiplier for tables of contents and indexes (navigation-pages.ts); 1 = treated like any page. */
  navigationPageWeight: number;
  /** Return at most one passage per page (the best one), so the top k covers k pages. */
  onePerPage: boolean;
  /** Weight of the previous question of a conversation, relative to 1 for the question itself; older ones decay by this factor again. */
  historyQuestionWeight: number;
  /** Weight of the previous answer (when the turn has one). */
  historyAnswerWeight: number;
  /**
   * Self-contained questions: the earlier turns' terms together weigh at most this share of the question's own
   * (Σ weight · idf; conversation-query.ts). 0 = no cap.
   */
  historyMassCap: number;
  /**
   * The same two weights for a question that leans on the conversation (follow-up-signal.ts: "undo that",
   * "它默认叫什么", very short): its own words say little, so the earlier turns say more.
   */
  followUpQuestionWeight: number;
  followUpAnswerWeight: number;
  /**
   * Follow-ups only: the pages the previous turn found (best first; ConversationTurn.pages) are a prior
   * (topic-prior.ts). A page at rank r gets followUpPagePrior / (r + 1) of the best lexical score added, a
   * page d ≤ 2 pages from it (same document) that share halved d times. 0 = off.
   */
  followUpPagePrior: number;
  /** How many of the previous turn's pages take part in that prior. */
  followUpPriorPages: number;
  /**
   * How the prior joins: 'add' adds its share of the best score (above); 'scale' multiplies the page's own
   * score by (1 + that share), so a page the follow-up's words and the conversation do not reach stays unreached.
   */
  followUpPriorFusion: 'add' | 'scale';
  /** No prior when the question's own words alone confidently find a page far from the previous turn's (topic-prior.ts). */
  followUpPriorGate: boolean;
  /**
   * When the gate takes a follow-up for a change of topic: the RRF weight of the ranking WITH the prior, fused
   * with the ranking without it (weight 1), so the previous turn's pages keep a place below what the question's
   * own words find; 0 = the prior is dropped.
   */
  followUpGateFusion: number;
  /** RRF weight of each extra query's ranking (a model's rewrite, SearchOptions.extraQueries) against 1 for the question's. */
  extraQueryWeight: number;
  /**
   * How an extra query joins: 'rrf' ranks it on its own words and fuses the two page rankings (weighted by
   * extraQueryWeight); 'terms' adds its words to the question's BM25 query at extraQueryWeight.
   */
  extraQueryFusion: 'rrf' | 'terms';
}

// Chosen on the dev split of eval/questions-docs.json (`npm run eval:retrieval -- --dev-only --ablate`).
export const DEFAULT_LEXICAL: LexicalConfig = {
  stemming: true,
  // Dev split (session 4, 151 answerable questions): MRR 0.720 → 0.723 with the possessive 's dropped, and the
  // British → American spellings found one more tuning follow-up (28 → 29 of 31; "colour" asked, "color" written);
  // recall@5 unchanged, topic changes unchanged or better.
  britishSpellings: true,
  // Every Chinese PDF of the eval is Simplified: measured for no change there (docs/RETRIEVAL.md), and for a
  // question in Simplified on a Traditional manual (debmake-doc's zh-tw translation).
  simplifiedChinese: true,
  stopWords: true,
  // Measured on the dev split and left off (Chinese MRR 0.716 → 0.682 with it): the bigrams already match
  // the words, and doubling them mostly adds weight to common words; see docs/RETRIEVAL.md.
  segmentWords: false,
  // Chinese characters alongside the bigrams at 0.3 (dev split: zh recall@5 88.1 → 90.5%, MRR 0.716 →
  // 0.730, false "not found" 6/42 → 3/42, unanswerable still 4/4 caught; 0.2: 0.717, 0.4: 0.741 but recall@5
  // 88.1% and follow-ups 26/31). A word and its paraphrase often share one character (字符 / 字节).
  cjkUnigramWeight: 0.3,
  // The usual Okapi values; on dev b 0.9 gave MRR 0.805 → 0.812 (one or two ranks) but with the Chinese
  // characters on it lost a follow-up (26/31), k1 0.9 / 1.6 and b 0.5 did no better.
  bm25K1: 1.2,
  bm25B: 0.75,
  pageWeight: 0.5,
  // Off: on the dev split the neighbours' evidence pulled the answering page down (MRR 0.805 → 0.789 at 0.1).
  neighbourWeight: 0,
  headingWeight: 0.25,
  // Measured and left at 'page' (dev: zh MRR 0.716 → 0.704 with 'passage'): pages are what is ranked, and a
  // page's best chunk already carries all of its footnotes and captions; 'passage' only takes them from the
  // other chunks.
  contextAttachment: 'page',
  // Off: on the dev split it cost MRR (0.805 → 0.783 at λ = 0.9, 0.739 at λ = 0.7; recall@5 +2 at 0.7).
  feedbackTerms: 0,
  feedbackDocs: 5,
  feedbackOriginalWeight: 0.9,
  navigationPageWeight: 0.3,
  onePerPage: true,
  // A self-contained question (follow-up-signal.ts) gets the earlier question at 0.2, a follow-up at 0.4. On
  // the dev split: follow-ups 11/13 either way; topic changes cost less (en MRR 0.836 → 0.867 after a
  // question on another manual, zh recall@5 83.3 → 85.7%). Lower (0.1 / 0.05) lost a follow-up.
  historyQuestionWeight: 0.2,
  historyAnswerWeight: 0.1,
  // A pasted paragraph in Japanese, then a one-line English question on another manual: the old question's 40
  // bigrams at 0.2 outscored the new one's own words. Capped at half of the question's own weight: dev topic
  // changes zh MRR after 0.749 → 0.757 (en 0.693 → 0.691), follow-ups unchanged; 0.3 lost an older follow-up.
  historyMassCap: 0.5,
  followUpQuestionWeight: 0.4,
  followUpAnswerWeight: 0.1,
  // Topic continuity (topic-prior.ts), tuned on eval/followups-tuning.json (31 pairs) with the topic-change
  // cost on the dev split: the previous turn's 4 pages (and up to 2 pages either side, halved per page) at
  // 0.5 of the best score: follow-ups 27 → 29 of 31 but topic changes cost (zh MRR after 0.709 → 0.685);
  // with the gate (no prior when the question's own words confidently find a page elsewhere) 28 of 31 and
  // no topic-change cost (en 0.867, zh 0.709 either way). 'scale' and 0.3 did no better. With the Chinese
  // characters (cjkUnigramWeight) 0.5 found 27 of 31, 0.7 28 (en 0.876, zh 0.719 after a topic change).
  followUpPagePrior: 0.7,
  followUpPriorPages: 4,
  followUpPriorFusion: 'add',
  followUpPriorGate: true,
  // The gate dropped the prior for follow-ups whose few own words ("what is it set to", "minimum version")
  // happen to match another manual confidently. Fusing the rankings without / with the prior instead (RRF, the
  // prior's at 0.5) keeps what the own words find on top: dev follow-ups (tuning 31 + older 26) 48 → 50 of
  // 57, topic changes unchanged (en MRR after 0.876, zh 0.719); 0.7 and 1 the same, gate off 50 but zh MRR after
  // a topic change 0.719 → 0.695.
  followUpGateFusion: 0.5,
  // No real model runs on this machine, so what a good rewrite gains is unknown (docs/RETRIEVAL.md). What was
  // measured (dev split, stories260K writing nonsense): how little a BAD rewrite costs. RRF of the rewrite's
  // own ranking flips close ranks even at weight 0.2 (MRR 0.805 → 0.632; 0.444 at 0.5); its words added to
  // the BM25 query at 0.3 cost 0.805 → 0.803 and no follow-up. A good rewrite's words still lift the pages
  // that use them, like the conversation's earlier questions at 0.2–0.4.
  extraQueryWeight: 0.3,
  extraQueryFusion: 'terms',
};
