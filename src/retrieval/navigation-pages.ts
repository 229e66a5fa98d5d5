// Tables of contents and back-of-book indexes list every heading and term of a document, so they match
// almost any question lexically while never answering one. A page is a navigation page when at least
// NAVIGATION_LINE_SHARE of its lines (and at least NAVIGATION_MIN_ENTRIES) are entries: dot leaders
// ending in a page number ("5.2 How can add-on packages be installed? . . . . 22") or an index entry
// ("longtable, 24, 29"). The lexical ranker scales such pages' scores down (LexicalConfig.navigationPageWeight).

const LEADER_ENTRY = /(?:\.[ \t]?){4,}[ \t]*\d+/g;
const INDEX_ENTRY = /[^\W\d_][^\s,]*,[ \t]\d+(?:,[ \t]\d+)*[ \t]*$/gmu;
const NAVIGATION_LINE_SHARE = 0.3;
const NAVIGATION_MIN_ENTRIES = 5;

export function isNavigationPage(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim() !== '').length;
  if (lines === 0) return false;
  const entries = (text.match(LEADER_ENTRY)?.length ?? 0) + (text.match(INDEX_ENTRY)?.length ?? 0);
  return entries >= NAVIGATION_MIN_ENTRIES && entries / lines >= NAVIGATION_LINE_SHARE;
}
