// Conversations the browser will not store (its storage for the site is full): they stay listed and whole in
// this tab, are written once there is room, and the notice says that storage is full. Before, switching to
// another conversation lost every turn whose save had failed. The backend is the in-memory one of the other chat
// tests, refusing writes with IndexedDB's own QuotaExceededError while `full`.
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/chat/conversation-store';
import type { ChatTurn } from '../../src/chat/types';
import { ChatService } from '../../src/ui/services/chat';
import { memoryBackend } from '../memory-kv';

const questions = (turns: ChatTurn[]) => turns.filter((t) => t.role === 'user').map((t) => t.content);

function setup() {
  let full = false;
  const kv = memoryBackend({ full: () => full });
  const chat = new ChatService({ search: async () => [], engine: () => null, selectedDocIds: () => [] }, new ConversationStore(kv), { channel: null });
  return { chat, kv, fill: (v: boolean) => (full = v) };
}

describe('conversations the browser cannot store', () => {
  it('a conversation whose last questions could not be saved keeps them when the user switches away and back', async () => {
    const { chat, kv, fill } = setup();
    await chat.init();
    await chat.ask('question 1');
    const id = chat.state.get().conversation.id;
    fill(true);
    await chat.ask('question 2');
    expect(chat.state.get().storageProblem).toMatchObject({ full: true });

    chat.startNew();
    expect(chat.state.get().list.find((c) => c.id === id)).toMatchObject({ questions: 2 });
    await chat.open(id);
    expect(questions(chat.state.get().conversation.turns)).toEqual(['question 1', 'question 2']);
    expect(chat.state.get().conversation.turns.filter((t) => t.error)).toEqual([]);

    // Room again: the next save writes the kept turns too, and the notice goes.
    fill(false);
    await chat.ask('question 3');
    expect(chat.state.get().storageProblem).toBeNull();
    const stored = await new ConversationStore(kv).get(id);
    expect(questions(stored!.turns)).toEqual(['question 1', 'question 2', 'question 3']);
  });

  it('a conversation never stored stays listed and opens whole; switching away once there is room stores it', async () => {
    const { chat, kv, fill } = setup();
    fill(true);
    await chat.init();
    await chat.ask('only in memory');
    const id = chat.state.get().conversation.id;
    expect(chat.state.get().storageProblem).toMatchObject({ full: true });
    chat.startNew();
    expect(chat.state.get().list.map((c) => c.id)).toContain(id);
    await chat.open(id);
    expect(questions(chat.state.get().conversation.turns)).toEqual(['only in memory']);

    fill(false);
    chat.startNew(); // leaving it: written now
    await expect.poll(async () => (await new ConversationStore(kv).get(id))?.turns.length).toBe(2);
    await expect.poll(() => chat.state.get().storageProblem).toBeNull();
    // A later save of it is a save, not taken for a deletion elsewhere (it was never seen stored before).
    await chat.open(id);
    await chat.ask('second question');
    expect(chat.state.get().conversation.id).toBe(id);
    expect(chat.state.get().deletedElsewhere).toBeNull();
    expect(questions((await new ConversationStore(kv).get(id))!.turns)).toEqual(['only in memory', 'second question']);
  });
});
