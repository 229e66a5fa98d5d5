// The conversation: ask (retrieval + streamed answer or search mode), stop, clear, export; persisted.
import { answerQuestion, type AnswerDeps } from '../../chat/answer';
import { ConversationStore, newConversation, randomId } from '../../chat/conversation-store';
import { conversationToMarkdown } from '../../chat/export-markdown';
import type { ChatTurn, Conversation } from '../../chat/types';
import { AppError } from '../../shared/errors';
import { Observable } from '../state/observable';
import { answerSettings } from '../state/settings';

export interface ChatState {
  conversation: Conversation;
  /** Id of the assistant turn being written, when an answer is running. */
  pendingId: string | null;
}

export class ChatService {
  readonly state = new Observable<ChatState>({ conversation: newConversation(), pendingId: null });
  private abort: AbortController | null = null;

  constructor(
    private readonly deps: { search: AnswerDeps['search']; engine: () => AnswerDeps['engine']; selectedDocIds: () => string[] },
    private readonly store = new ConversationStore(),
  ) {}

  private initOnce: Promise<void> | null = null;
  /** Loads persisted state; safe to call more than once. */
  init(): Promise<void> {
    return (this.initOnce ??= this.doInit());
  }

  private async doInit(): Promise<void> {
    try {
      const [latest] = await this.store.list();
      if (latest) this.state.set({ conversation: latest, pendingId: null });
    } catch {
      /* no IndexedDB (private mode): start empty */
    }
  }

  private setTurns(fn: (turns: ChatTurn[]) => ChatTurn[]): void {
    this.state.update((s) => ({ ...s, conversation: { ...s.conversation, turns: fn(s.conversation.turns), updatedAt: Date.now() } }));
  }

  private patchTurn(id: string, p: Partial<ChatTurn>): void {
    this.setTurns((turns) => turns.map((t) => (t.id === id ? { ...t, ...p } : t)));
  }

  async ask(question: string): Promise<void> {
    const q = question.trim();
    if (!q || this.state.get().pendingId) return;
    const earlier = this.state.get().conversation.turns;
    const userTurn: ChatTurn = { id: randomId(), role: 'user', content: q, createdAt: Date.now() };
    const pending: ChatTurn = { id: randomId(), role: 'assistant', content: '', createdAt: Date.now() };
    this.state.update((s) => ({
      pendingId: pending.id,
      conversation: {
        ...s.conversation,
        title: s.conversation.turns.length === 0 ? q.slice(0, 80) : s.conversation.title,
        turns: [...s.conversation.turns, userTurn, pending],
        updatedAt: Date.now(),
      },
    }));
    this.abort = new AbortController();
    let result: Omit<ChatTurn, 'id' | 'createdAt'>;
    try {
      result = await answerQuestion(q, earlier, this.deps.selectedDocIds(), { search: this.deps.search, engine: this.deps.engine() }, answerSettings.get(), {
        signal: this.abort.signal,
        onSources: (sources) => this.patchTurn(pending.id, { sources, mode: this.deps.engine() ? 'model' : 'search' }),
        onText: (content) => this.patchTurn(pending.id, { content }),
      });
    } catch (e) {
      const err = AppError.from(e);
      result = { role: 'assistant', content: '', error: { code: err.code, message: err.message } };
    }
    this.patchTurn(pending.id, result);
    this.abort = null;
    this.state.update((s) => ({ ...s, pendingId: null }));
    await this.save();
  }

  stop(): void {
    this.abort?.abort();
  }

  async clear(): Promise<void> {
    this.stop();
    const old = this.state.get().conversation;
    this.state.set({ conversation: newConversation(), pendingId: null });
    await this.store.delete(old.id).catch(() => undefined);
  }

  exportMarkdown(): { name: string; text: string } {
    const c = this.state.get().conversation;
    const safe = c.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'conversation';
    return { name: `${safe}.md`, text: conversationToMarkdown(c) };
  }

  private async save(): Promise<void> {
    try {
      await this.store.save(this.state.get().conversation);
    } catch {
      /* storage unavailable: the conversation lives for this session only */
    }
  }
}
