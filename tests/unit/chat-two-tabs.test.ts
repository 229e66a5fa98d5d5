// Two tabs on one conversation: each tab is a ChatService with its own ConversationStore over one shared
// key-value backend (in the browser both are IndexedDB; here the in-memory backend the other chat tests use,
// with real async reads and writes that interleave). A save merges instead of writing its copy over the other
// tab's turns; the BroadcastChannel (Node's real one) tells the other tab; a conversation deleted in one tab
// is not brought back by the other.
import { describe, expect, it } from 'vitest';
import { ConversationStore, type KeyValueBackend } from '../../src/chat/conversation-store';
import { memoryBackend } from '../memory-kv';
import { mergeConversations } from '../../src/chat/conversation-merge';
import type { ChatTurn, Conversation, Passage } from '../../src/chat/types';
import { answerLockName, ChatService, INTERRUPTED, type ChatState } from '../../src/ui/services/chat';
import { holdNamedLock } from '../../src/shared/named-lock';

let channels = 0;
/** Two tabs over one backend that hear each other (their own BroadcastChannel); disposed after `run`. */
async function listeningTabs(run: (kv: KeyValueBackend, a: ChatService, b: ChatService) => Promise<void>): Promise<void> {
  const kv = memoryBackend();
  const channel = `test-two-tabs-${process.pid}-${channels++}`;
  const a = tab(kv, channel);
  const b = tab(kv, channel);
  try {
    await run(kv, a, b);
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** A tab: its own service and store over the shared backend; `channel` null = it hears no other tab. */
function tab(kv: KeyValueBackend, channel: string | null, search: () => Promise<Passage[]> = async () => []): ChatService {
  return new ChatService({ search, engine: () => null, selectedDocIds: () => [] }, new ConversationStore(kv), { channel });
}

const questions = (turns: ChatTurn[]) => turns.filter((t) => t.role === 'user').map((t) => t.content);

async function storedOnly(kv: KeyValueBackend): Promise<Conversation> {
  const all = await new ConversationStore(kv).list();
  expect(all).toHaveLength(1);
  return all[0];
}

/** Resolves once the tab's state satisfies `ok` (the test's timeout is what fails otherwise). */
function until(chat: ChatService, ok: (s: ChatState) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!ok(chat.state.get())) return;
      stop();
      resolve();
    };
    const stop = chat.state.subscribe(check);
    check();
  });
}

describe('two tabs on one conversation', () => {
  it('a save merges with what the other tab stored: neither tab loses its question, and the saving tab shows both', async () => {
    const kv = memoryBackend();
    // No broadcast here: tab B never hears of A's turn, so only the merge on save can keep it.
    const a = tab(kv, null);
    await a.init();
    await a.ask('question 1');
    const b = tab(kv, null);
    await b.init();
    expect(b.state.get().conversation.id).toBe(a.state.get().conversation.id);

    await a.ask('question 2');
    await b.ask('question 3');

    const stored = await storedOnly(kv);
    expect(questions(stored.turns)).toEqual(['question 1', 'question 2', 'question 3']);
    // Each question followed by its answer, none left marked interrupted.
    expect(stored.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(stored.turns.filter((t) => t.error)).toEqual([]);
    expect(questions(b.state.get().conversation.turns)).toEqual(['question 1', 'question 2', 'question 3']);
    expect(b.state.get().list[0]).toMatchObject({ id: stored.id, questions: 3 });
  });

  it('two questions asked at the same moment in two tabs are both stored', async () => {
    const kv = memoryBackend();
    const a = tab(kv, null);
    await a.init();
    await a.ask('question 1');
    const b = tab(kv, null);
    await b.init();
    await Promise.all([a.ask('question 2'), b.ask('question 3')]);
    expect(questions((await storedOnly(kv)).turns).sort()).toEqual(['question 1', 'question 2', 'question 3']);
  });

  it("an answer that finished in one tab keeps its finished state over the other tab's copy read while it ran", async () => {
    const kv = memoryBackend();
    let searching!: () => void;
    const inSearch = new Promise<void>((r) => { searching = r; });
    let finish!: (p: Passage[]) => void;
    const results = new Promise<Passage[]>((r) => { finish = r; });
    const a = tab(kv, null, () => { searching(); return results; });
    await a.init();
    const asking = a.ask('question 1');
    await inSearch;
    // Tab B opens while A's answer runs: it reads the answer as stored so far (marked interrupted).
    const b = tab(kv, null);
    await b.init();
    expect(b.state.get().conversation.turns[1].error).toEqual(INTERRUPTED);
    finish([]);
    await asking;
    await b.ask('question 2');

    const stored = await storedOnly(kv);
    expect(questions(stored.turns)).toEqual(['question 1', 'question 2']);
    expect(stored.turns[1].error).toBeUndefined();
    expect(stored.turns[1]).toMatchObject({ role: 'assistant', mode: 'search', sources: [] });
    expect(b.state.get().conversation.turns[1].error).toBeUndefined();
  });

  it('an idle tab shows the question asked in the other tab without a reload (BroadcastChannel)', () =>
    listeningTabs(async (_kv, a, b) => {
      await a.init();
      await a.ask('question 1');
      await b.init();
      await a.ask('question 2');
      await until(b, (s) => questions(s.conversation.turns).length === 2);
      expect(questions(b.state.get().conversation.turns)).toEqual(['question 1', 'question 2']);
      expect(b.state.get().conversation.turns[3].error).toBeUndefined(); // the finished answer, not the interrupted copy
      expect(b.state.get().list[0]).toMatchObject({ questions: 2 });
      // And back: A hears of B's question.
      await b.ask('question 3');
      await until(a, (s) => questions(s.conversation.turns).length === 3);
      expect(questions(a.state.get().conversation.turns)).toEqual(['question 1', 'question 2', 'question 3']);
    }));

  it('a conversation deleted in one tab: the idle other tab shows a new empty one and says so', () =>
    listeningTabs(async (kv, a, b) => {
      await a.init();
      await a.ask('question 1');
      await b.init();
      const id = b.state.get().conversation.id;
      await a.deleteConversation(id);
      await until(b, (s) => s.conversation.id !== id);
      expect(b.state.get().conversation.turns).toEqual([]);
      expect(b.state.get().deletedElsewhere).toEqual({ title: 'question 1', keptAsNew: false });
      expect(b.state.get().list.map((c) => c.id)).not.toContain(id);
      await b.ask('question 2');
      const stored = await storedOnly(kv);
      expect(stored.id).not.toBe(id);
      expect(questions(stored.turns)).toEqual(['question 2']);
      expect(b.state.get().deletedElsewhere).toBeNull();
    }));

  it('a question asked in a conversation the other tab deleted is not stored into it: it becomes a new conversation', async () => {
    const kv = memoryBackend();
    const a = tab(kv, null);
    await a.init();
    await a.ask('question 1');
    const b = tab(kv, null); // never hears of the deletion
    await b.init();
    const id = b.state.get().conversation.id;
    await a.deleteConversation(id);
    await b.ask('question 2');

    const stored = await storedOnly(kv);
    expect(stored.id).not.toBe(id);
    expect(questions(stored.turns)).toEqual(['question 2']);
    expect(stored.title).toBe('question 2');
    expect(stored.turns[1]).toMatchObject({ role: 'assistant', mode: 'search' });
    expect(stored.turns[1].error).toBeUndefined();
    const s = b.state.get();
    expect(s.conversation.id).toBe(stored.id);
    expect(questions(s.conversation.turns)).toEqual(['question 2']);
    expect(s.deletedElsewhere).toEqual({ title: 'question 1', keptAsNew: true });
    expect(s.list.map((c) => c.id)).toEqual([stored.id]);
  });
});

describe('an answer still being written in another tab', () => {
  // (Node has no Web Locks: named-lock.ts's in-process fallback stands in, which two services in one process share.)
  it('is shown as being written there, not as interrupted, and as finished once that tab is done', async () => {
    const kv = memoryBackend();
    const channel = `test-answering-${process.pid}-${channels++}`;
    let searching!: () => void;
    const inSearch = new Promise<void>((r) => { searching = r; });
    let finish!: (p: Passage[]) => void;
    const results = new Promise<Passage[]>((r) => { finish = r; });
    const a = tab(kv, channel, () => { searching(); return results; });
    const b = tab(kv, channel);
    try {
      await a.init();
      const asking = a.ask('question 1');
      await inSearch;
      // B opens while A's answer runs: the stored copy says interrupted, and B knows better.
      await b.init();
      const answerId = b.state.get().conversation.turns[1].id;
      expect(b.state.get().conversation.turns[1].error).toEqual(INTERRUPTED);
      await until(b, (s) => s.answeringElsewhere.includes(answerId));
      finish([]);
      await asking;
      await until(b, (s) => s.answeringElsewhere.length === 0);
      expect(b.state.get().conversation.turns[1].error).toBeUndefined();
      expect(b.state.get().conversation.turns[1]).toMatchObject({ role: 'assistant', mode: 'search' });
      // The asking tab never lists its own answer.
      expect(a.state.get().answeringElsewhere).toEqual([]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('shows as interrupted once the tab that was writing it lets its lock go without finishing (closed)', async () => {
    const kv = memoryBackend();
    const now = Date.now();
    const question: ChatTurn = { id: 'q1', role: 'user', content: 'question 1', createdAt: now };
    const answer: ChatTurn = { id: 'a1', role: 'assistant', content: 'The first wor', createdAt: now, error: INTERRUPTED };
    await new ConversationStore(kv).save({ id: 'c1', title: 'question 1', createdAt: now, updatedAt: now, turns: [question, answer] });
    // The writing tab: its lock, held while "it" writes; let go with nothing saved, as when a tab closes.
    const closeWritingTab = await holdNamedLock(answerLockName('a1'));
    const b = tab(kv, null);
    try {
      await b.init();
      expect(b.state.get().answeringElsewhere).toEqual(['a1']);
      closeWritingTab();
      await until(b, (s) => s.answeringElsewhere.length === 0);
      expect(b.state.get().conversation.turns[1].error).toEqual(INTERRUPTED);
      // An interrupted answer nobody is writing is not listed at all (a reload of B).
      const again = tab(kv, null);
      await again.init();
      expect(again.state.get().answeringElsewhere).toEqual([]);
      again.dispose();
    } finally {
      b.dispose();
    }
  });
});

describe('mergeConversations', () => {
  const turn = (id: string, role: ChatTurn['role'], createdAt: number, extra: Partial<ChatTurn> = {}): ChatTurn => ({ id, role, content: id, createdAt, ...extra });
  const conv = (turns: ChatTurn[], updatedAt = 0): Conversation => ({ id: 'c', title: 't', createdAt: 0, updatedAt, turns });

  it("keeps each question with its answer when another tab's question was created between them", () => {
    const stored = conv([turn('q1', 'user', 1), turn('a1', 'assistant', 2), turn('q2', 'user', 10), turn('a2', 'assistant', 30)], 30);
    const mine = conv([turn('q1', 'user', 1), turn('a1', 'assistant', 2), turn('q3', 'user', 20), turn('a3', 'assistant', 21)], 21);
    const merged = mergeConversations(stored, mine);
    expect(merged.turns.map((t) => t.id)).toEqual(['q1', 'a1', 'q2', 'a2', 'q3', 'a3']);
    expect(merged.updatedAt).toBe(30);
  });

  it('a turn in both copies keeps its newer state, whichever copy has it; without updatedAt createdAt counts', () => {
    const running = turn('a1', 'assistant', 2, { content: '', error: INTERRUPTED });
    const finished = turn('a1', 'assistant', 2, { content: 'done', updatedAt: 5 });
    const q = turn('q1', 'user', 1);
    expect(mergeConversations(conv([q, finished]), conv([q, running])).turns[1]).toEqual(finished);
    expect(mergeConversations(conv([q, running]), conv([q, finished])).turns[1]).toEqual(finished);
    expect(mergeConversations(undefined, conv([q, running])).turns).toEqual([q, running]);
  });
});
