// Conversations: ask (retrieval + streamed answer or search mode), stop, clear, export; several
// conversations persisted in IndexedDB (ConversationStore), listed, switchable and deletable.
import { answerQuestion, type AnswerDeps } from '../../chat/answer';
import { ConversationStore, newConversation, randomId } from '../../chat/conversation-store';
import { conversationToMarkdown } from '../../chat/export-markdown';
import type { ChatTurn, Conversation } from '../../chat/types';
import { AppError } from '../../shared/errors';
import { Observable } from '../state/observable';
import { answerSettings } from '../state/settings';

/** One entry of the conversation list (newest first). */
export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  questions: number;
}

export interface ChatState {
  conversation: Conversation;
  /** Id of the assistant turn being written, when an answer is running. */
  pendingId: string | null;
  /** Stored conversations plus the current one (even while it is still empty), newest first. */
  list: ConversationSummary[];
  /** Set when conversations cannot be stored (e.g. private mode): they last for this session only. */
  storageProblem: string | null;
}

/** What a stored answer says when the page was reloaded or closed before it finished. */
export const INTERRUPTED = { code: 'ABORTED' as const, message: 'This answer was interrupted: the page was reloaded or closed before it finished. Ask again.' };

const summarize = (c: Conversation): ConversationSummary => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, questions: c.turns.filter((t) => t.role === 'user').length });

export class ChatService {
  readonly state: Observable<ChatState>;
  private abort: AbortController | null = null;
  /** Summaries of the stored conversations (the current one is merged in by publishList). */
  private stored: ConversationSummary[] = [];

  constructor(
    private readonly deps: { search: AnswerDeps['search']; engine: () => AnswerDeps['engine']; selectedDocIds: () => string[] },
    private readonly store = new ConversationStore(),
  ) {
    const first = newConversation();
    this.state = new Observable<ChatState>({ conversation: first, pendingId: null, list: [summarize(first)], storageProblem: null });
  }

  private initOnce: Promise<void> | null = null;
  /** Loads persisted state; safe to call more than once. */
  init(): Promise<void> {
    return (this.initOnce ??= this.doInit());
  }

  private async doInit(): Promise<void> {
    try {
      const all = await this.store.list();
      this.stored = all.map(summarize);
      if (all[0]) this.state.update((s) => ({ ...s, conversation: all[0] }));
    } catch (e) {
      this.state.update((s) => ({ ...s, storageProblem: AppError.from(e).message }));
    }
    this.publishList();
  }

  private publishList(): void {
    this.state.update((s) => {
      const current = summarize(s.conversation);
      const others = this.stored.filter((c) => c.id !== current.id);
      return { ...s, list: [current, ...others].sort((a, b) => b.updatedAt - a.updatedAt) };
    });
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
      ...s,
      pendingId: pending.id,
      conversation: {
        ...s.conversation,
        title: s.conversation.turns.length === 0 ? q.slice(0, 80) : s.conversation.title,
        turns: [...s.conversation.turns, userTurn, pending],
        updatedAt: Date.now(),
      },
    }));
    this.publishList();
    this.abort = new AbortController();
    // Stored before the answer runs, with the answer marked interrupted: a reload or a closed tab mid-answer
    // keeps the question and says the answer was cut off, instead of losing both. Overwritten when it ends.
    await this.save(pending.id);
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

  /** Empties the view: the current conversation is deleted from storage and an empty one takes its place. */
  async clear(): Promise<void> {
    await this.deleteConversation(this.state.get().conversation.id, { openNext: false });
  }

  /** Starts a new, empty conversation; the current one stays in the list. */
  startNew(): void {
    if (this.state.get().pendingId) return;
    if (this.state.get().conversation.turns.length === 0) return; // already on an empty one
    this.state.update((s) => ({ ...s, conversation: newConversation() }));
    this.publishList();
  }

  /** Opens a stored conversation. Not while an answer is being written. */
  async open(id: string): Promise<void> {
    const s = this.state.get();
    if (s.pendingId || s.conversation.id === id) return;
    let conv: Conversation | undefined;
    try {
      conv = await this.store.get(id);
    } catch (e) {
      this.state.update((x) => ({ ...x, storageProblem: AppError.from(e).message }));
      return;
    }
    if (!conv) return;
    // The empty conversation being left is not kept.
    this.state.update((x) => ({ ...x, conversation: conv }));
    this.publishList();
  }

  /** Deletes a conversation; deleting the current one opens the most recent other one (or a new one). */
  async deleteConversation(id: string, { openNext = true } = {}): Promise<void> {
    const isCurrent = this.state.get().conversation.id === id;
    if (isCurrent) this.stop();
    try {
      await this.store.delete(id);
    } catch {
      /* not stored (or no storage): removing it from the list is all there is to do */
    }
    this.stored = this.stored.filter((c) => c.id !== id);
    if (isCurrent) {
      const next = openNext && this.stored[0] ? await this.store.get(this.stored[0].id).catch(() => undefined) : undefined;
      this.state.update((s) => ({ ...s, pendingId: null, conversation: next ?? newConversation() }));
    }
    this.publishList();
  }

  exportMarkdown(): { name: string; text: string } {
    const c = this.state.get().conversation;
    const safe = c.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'conversation';
    return { name: `${safe}.md`, text: conversationToMarkdown(c) };
  }

  /** Stores the current conversation; `interruptedId`: that (running) answer is stored as interrupted. */
  private async save(interruptedId?: string): Promise<void> {
    const current = this.state.get().conversation;
    if (current.turns.length === 0) return; // empty conversations are never stored
    const c = interruptedId ? { ...current, turns: current.turns.map((t) => (t.id === interruptedId ? { ...t, error: INTERRUPTED } : t)) } : current;
    try {
      await this.store.save(c);
      this.stored = [summarize(c), ...this.stored.filter((x) => x.id !== c.id)];
      if (this.state.get().storageProblem) this.state.update((s) => ({ ...s, storageProblem: null }));
    } catch (e) {
      this.state.update((s) => ({ ...s, storageProblem: AppError.from(e).message }));
    }
    this.publishList();
  }
}
