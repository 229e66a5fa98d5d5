// A reload or a closed tab while an answer runs: the question is already stored, with its answer marked
// interrupted (a clear "Ask again"), instead of losing both; when the answer does finish, the marker goes.
// ChatService over the real ConversationStore on an in-memory key-value backend (IndexedDB in the browser).
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/chat/conversation-store';
import { memoryBackend } from '../memory-kv';
import type { Passage } from '../../src/chat/types';
import { ChatService, INTERRUPTED } from '../../src/ui/services/chat';

describe('an answer interrupted by a reload', () => {
  it('the question is stored before the answer runs, the answer marked interrupted; a finished answer replaces the marker', async () => {
    const kv = memoryBackend();
    let searching!: () => void;
    const inSearch = new Promise<void>((r) => { searching = r; });
    let finish!: (p: Passage[]) => void;
    const results = new Promise<Passage[]>((r) => { finish = r; });
    // Retrieval that answers only when the test says so: the answer is still running meanwhile.
    const chat = new ChatService({ search: () => { searching(); return results; }, engine: () => null, selectedDocIds: () => [] }, new ConversationStore(kv));
    await chat.init();
    const question = 'What does the Zen say about namespaces?';
    const asking = chat.ask(question);
    await inSearch;

    // What a reloaded page finds.
    const reloaded = new ChatService({ search: async () => [], engine: () => null, selectedDocIds: () => [] }, new ConversationStore(kv));
    await reloaded.init();
    const turns = reloaded.state.get().conversation.turns;
    expect(turns.map((t) => [t.role, t.content])).toEqual([['user', question], ['assistant', '']]);
    expect(turns[1].error).toEqual(INTERRUPTED);
    expect(turns[1].error!.message).toMatch(/Ask again/);
    expect(reloaded.state.get().pendingId).toBeNull();
    expect(reloaded.state.get().list[0]).toMatchObject({ questions: 1, title: question });
    // In the running session the answer is not shown as interrupted.
    expect(chat.state.get().conversation.turns[1].error).toBeUndefined();

    finish([]);
    await asking;
    const later = new ChatService({ search: async () => [], engine: () => null, selectedDocIds: () => [] }, new ConversationStore(kv));
    await later.init();
    const done = later.state.get().conversation.turns;
    expect(done).toHaveLength(2);
    expect(done[1].error).toBeUndefined();
    expect(done[1]).toMatchObject({ role: 'assistant', mode: 'search', sources: [] }); // search mode, nothing found: a finished answer
  });
});
