// Merging two copies of one conversation: the record another tab stored and this tab's copy. Turns are
// never removed from a conversation (only whole conversations are deleted), so the merge is a union by
// turn id: a turn both copies hold keeps its newer state (ChatTurn.updatedAt: an answer that finished
// beats the copy another tab read while it was still running), and the turns stay in time order with
// each question followed by its answer.
import type { ChatTurn, Conversation } from './types';

/** How recent a turn's state is; records written before turns carried updatedAt fall back to createdAt. */
export function turnVersion(t: ChatTurn): number {
  return t.updatedAt ?? t.createdAt;
}

/** A turn's next updatedAt: now, but always past its previous one (two changes within one millisecond). */
export function nextTurnVersion(t: ChatTurn, now = Date.now()): number {
  return Math.max(now, turnVersion(t) + 1);
}

/**
 * Each turn's place in time: the creation time of the question it belongs to (an answer sorts with its
 * question even when another tab's question was created between them).
 */
function exchangeKeys(turns: ChatTurn[]): Map<string, number> {
  const keys = new Map<string, number>();
  let question: number | null = null;
  for (const t of turns) {
    if (t.role === 'user') question = t.createdAt;
    keys.set(t.id, t.role === 'user' || question === null ? t.createdAt : question);
  }
  return keys;
}

/**
 * `stored` and `mine` merged: every turn of either, a turn in both at its newer state (a tie goes to
 * `mine`), sorted by exchange time; equal times keep the stored turns first, each copy in its own order.
 * No stored record: `mine` as it is.
 */
export function mergeConversations(stored: Conversation | undefined, mine: Conversation): Conversation {
  if (!stored) return mine;
  const mineById = new Map(mine.turns.map((t) => [t.id, t]));
  const storedIds = new Set(stored.turns.map((t) => t.id));
  const storedKeys = exchangeKeys(stored.turns);
  const mineKeys = exchangeKeys(mine.turns);
  const newer = (s: ChatTurn): ChatTurn => {
    const m = mineById.get(s.id);
    return m && turnVersion(m) >= turnVersion(s) ? m : s;
  };
  const sequence = [
    ...stored.turns.map((t) => ({ turn: newer(t), key: storedKeys.get(t.id)! })),
    ...mine.turns.filter((t) => !storedIds.has(t.id)).map((t) => ({ turn: t, key: mineKeys.get(t.id)! })),
  ];
  const turns = sequence
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.turn);
  return {
    ...stored,
    ...mine,
    // The title comes from the conversation's first question, whichever copy has it.
    title: stored.turns.length > 0 ? stored.title : mine.title,
    createdAt: Math.min(stored.createdAt, mine.createdAt),
    updatedAt: Math.max(stored.updatedAt, mine.updatedAt),
    turns,
  };
}
