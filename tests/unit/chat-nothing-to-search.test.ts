// A question asked while no selected document is ready is not searched (and no model is asked): the answer says
// why — still being read, none selected, none added — instead of "no passage matches" / "not in the documents".
// A question asked while some selected documents are still being read is answered from the ready ones and says
// that the others were not searched.
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/chat/conversation-store';
import type { Passage } from '../../src/chat/types';
import { ChatService, leftOutNotice, nothingToSearch, scopeNoteKey } from '../../src/ui/services/chat';
import { zh } from '../../src/ui/i18n/zh';
import type { SearchScope } from '../../src/ui/services/documents';
import { memoryBackend } from '../memory-kv';

function chatWith(scope: SearchScope) {
  const searched: string[] = [];
  const chat = new ChatService(
    { search: async (q: string): Promise<Passage[]> => (searched.push(q), []), engine: () => null, selectedDocIds: () => [], searchScope: () => scope },
    new ConversationStore(memoryBackend()),
    { channel: null },
  );
  return { chat, searched };
}

describe('what a question can search', () => {
  it.each([
    [{ ready: 0, reading: 1, unselected: 0 }, /still being read/],
    [{ ready: 0, reading: 0, unselected: 2 }, /No document is selected/],
    [{ ready: 0, reading: 0, unselected: 0 }, /Add a PDF/],
  ])('nothing ready (%o): not searched, the answer says why', async (scope, why) => {
    const { chat, searched } = chatWith(scope);
    await chat.init();
    await chat.ask('What does chapter two say?');
    expect(searched).toEqual([]);
    const answer = chat.state.get().conversation.turns[1];
    expect(answer.error).toMatchObject({ code: 'NOTHING_TO_SEARCH' });
    expect(answer.error!.message).toMatch(why);
    expect(answer.nothingSearched && zh[scopeNoteKey(answer.nothingSearched)]).toMatch(/[\u4e00-\u9fff]/);
    expect(chat.state.get().pendingId).toBeNull();
  });

  it('some ready, some still being read: searched, and the answer says what was left out', async () => {
    const { chat, searched } = chatWith({ ready: 1, reading: 2, unselected: 0 });
    await chat.init();
    await chat.ask('What does chapter two say?');
    expect(searched).toEqual(['What does chapter two say?']);
    const answer = chat.state.get().conversation.turns[1];
    expect(answer.error).toBeUndefined();
    expect(answer.leftOut).toEqual({ kind: 'left-reading', count: 2 });
    expect(leftOutNotice({ ready: 1, reading: 2, unselected: 0 })).toMatch(/^2 selected documents are still being read and were not searched/);
    // The UI says it in its own language (the turn keeps the kind, not only the English words).
    expect(zh[scopeNoteKey(answer.leftOut!)].replace('{n}', '2')).toBe('有 2 个选中的文档仍在读取，没有被搜索：等它们就绪后再问一次，即可包含它们。');
    expect(nothingToSearch({ ready: 1, reading: 2, unselected: 0 })).toBeNull();
  });

  it('searched while the scanned pages of a document are still being recognised: the answer says they were left out', async () => {
    const { chat, searched } = chatWith({ ready: 1, reading: 0, unselected: 0, recognising: 1 });
    await chat.init();
    await chat.ask('What does chapter two say?');
    expect(searched).toEqual(['What does chapter two say?']);
    expect(chat.state.get().conversation.turns[1].leftOut).toEqual({ kind: 'left-recognising', count: 1 });
    expect(leftOutNotice({ ready: 1, reading: 0, unselected: 0, recognising: 1 })).toMatch(/scanned pages of one selected document are still being recognised \(OCR\) and were not searched/);
    expect(leftOutNotice({ ready: 2, reading: 0, unselected: 0, recognising: 2 })).toMatch(/scanned pages of 2 selected documents/);
    expect(leftOutNotice({ ready: 2, reading: 0, unselected: 0, recognising: 0 })).toBeNull();
    expect(leftOutNotice({ ready: 1, reading: 0, unselected: 0, keywordsOnly: 1 })).toMatch(/^One selected document was searched by keywords only: its semantic index is still being built\.$/);
    expect(leftOutNotice({ ready: 3, reading: 0, unselected: 0, keywordsOnly: 2 })).toMatch(/^2 selected documents were searched by keywords only/);
    // A document still being read is the bigger omission: that is what is said.
    expect(leftOutNotice({ ready: 1, reading: 1, unselected: 0, recognising: 1 })).toMatch(/still being read/);
  });
});
