// Conversations: ask (retrieval + streamed answer or search mode), stop, clear, export; several
// conversations persisted in IndexedDB (ConversationStore), listed, switchable and deletable.
//
// Several tabs at once: a save merges into the stored record (ConversationStore.merge) instead of writing
// this tab's copy over it, so no tab loses another's turns, and this tab shows the merged result. After each
// save or delete a message on the BroadcastChannel CHANNEL tells the other tabs, which reload the list and
// the conversation they show — at once when idle, after the answer (and its save) when one is running.
// A conversation deleted in another tab stays deleted (deletion wins): a tab showing it idle switches to a
// new, empty conversation; a question asked in it meanwhile (a running answer, a message not yet arrived) is
// not stored into it but moves, with its answer, to a new conversation of its own. Either way the tab says
// so (ChatState.deletedElsewhere).
// An answer is stored as "interrupted" from its start (so a closed tab keeps the question), and the tab writing
// it holds a Web Lock named after the turn (answerLockName) until its final save. Another tab showing that turn
// checks the lock: held, it says the answer is being written in another tab (ChatState.answeringElsewhere) and
// waits for the lock's end — then reads the finished answer, or, if that tab closed mid-answer, shows it
// interrupted.
import { answerQuestion, type AnswerDeps } from '../../chat/answer';
import { nextTurnVersion, mergeConversations } from '../../chat/conversation-merge';
import { ConversationStore, newConversation, randomId } from '../../chat/conversation-store';
import { conversationToMarkdown } from '../../chat/export-markdown';
import type { ChatTurn, Conversation, ScopeNote } from '../../chat/types';
import { en, type MessageKey } from '../i18n/en';
import { AppError } from '../../shared/errors';
import { isQuotaError, refusedWriteReason } from '../../store/backend';
import { holdNamedLock, namedLockHeld, whenNamedLockFree } from '../../shared/named-lock';
import { Observable } from '../state/observable';
import type { SearchScope } from './documents';
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
  /**
   * Set when conversations cannot be stored: `full` when the site's storage is full, else the browser's reason
   * (private mode, blocked site data). Conversations not stored are kept in memory until the page is closed.
   */
  storageProblem: { full: boolean; reason: string } | null;
  /**
   * Set when the conversation shown was deleted in another tab: its title, and whether a question asked in
   * it here was kept as a new conversation (otherwise an empty one took its place). Cleared by the next action.
   */
  deletedElsewhere: { title: string; keptAsNew: boolean } | null;
  /** Ids of the answers shown that another tab is still writing (stored as interrupted until it finishes). */
  answeringElsewhere: string[];
}

/** The BroadcastChannel on which tabs say they saved or deleted a conversation. */
export const CHANNEL = 'pdfchat-conversations';

interface ChangeMessage {
  kind: 'saved' | 'deleted';
  id: string;
}

/** What a stored answer says when the page was reloaded or closed before it finished. */
export const INTERRUPTED = { code: 'ABORTED' as const, message: 'This answer was interrupted: the page was reloaded or closed before it finished. Ask again.' };

/** The lock a tab holds while it writes the answer `turnId` (held from before its first save to after its last). */
export const answerLockName = (turnId: string) => `pdfchat-answer:${turnId}`;

/** Why a question cannot be searched at all (no selected document is ready), or null when it can. */
export function nothingSearchedOf(scope: SearchScope): ScopeNote | null {
  if (scope.ready > 0) return null;
  if (scope.reading > 0) return { kind: 'reading', count: scope.reading };
  if (scope.unselected > 0) return { kind: 'unselected', count: scope.unselected };
  return { kind: 'none', count: 0 };
}

/** What a searched question left out: documents still being read, scanned pages not yet recognised, vectors not yet computed. */
export function leftOutOf(scope: SearchScope): ScopeNote | null {
  if (scope.reading > 0) return { kind: 'left-reading', count: scope.reading };
  if ((scope.recognising ?? 0) > 0) return { kind: 'left-recognising', count: scope.recognising! };
  if ((scope.keywordsOnly ?? 0) > 0) return { kind: 'left-keywords', count: scope.keywordsOnly! };
  return null;
}

const SCOPE_KEYS: Record<ScopeNote['kind'], [one: MessageKey, many: MessageKey]> = {
  reading: ['scopeReadingOne', 'scopeReadingMany'],
  unselected: ['scopeUnselected', 'scopeUnselected'],
  none: ['scopeNone', 'scopeNone'],
  'left-reading': ['leftReadingOne', 'leftReadingMany'],
  'left-recognising': ['leftRecognisingOne', 'leftRecognisingMany'],
  'left-keywords': ['leftKeywordsOne', 'leftKeywordsMany'],
};

/** The message of a ScopeNote (with `{n}` = its count) in the UI's tables. */
export function scopeNoteKey(note: ScopeNote): MessageKey {
  const [one, many] = SCOPE_KEYS[note.kind];
  return note.count === 1 ? one : many;
}

/** A ScopeNote in English (what the turn keeps as text: the error message, the Markdown export). */
export function scopeNoteText(note: ScopeNote): string {
  return en[scopeNoteKey(note)].replace('{n}', String(note.count));
}

/** nothingSearchedOf in English, or null. */
export function nothingToSearch(scope: SearchScope): string | null {
  const note = nothingSearchedOf(scope);
  return note ? scopeNoteText(note) : null;
}

/** leftOutOf in English, or null. */
export function leftOutNotice(scope: SearchScope): string | null {
  const note = leftOutOf(scope);
  return note ? scopeNoteText(note) : null;
}

const isInterrupted = (t: ChatTurn) => t.role === 'assistant' && t.error?.code === INTERRUPTED.code && t.error.message === INTERRUPTED.message;

/** What ChatState.storageProblem says of a failed read or write. */
function storageProblemOf(e: unknown): { full: boolean; reason: string } {
  return { full: isQuotaError(e), reason: refusedWriteReason(e) };
}

const summarize = (c: Conversation): ConversationSummary => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, questions: c.turns.filter((t) => t.role === 'user').length });

export class ChatService {
  readonly state: Observable<ChatState>;
  private abort: AbortController | null = null;
  /** Summaries of the stored conversations (the current one is merged in by publishList). */
  private stored: ConversationSummary[] = [];
  /** Ids this tab has seen in the store: such a record gone means another tab deleted the conversation. */
  private readonly seenStored = new Set<string>();
  private readonly channel: BroadcastChannel | null;
  /** Saves in flight: with an answer running, the tab is busy and another tab's changes wait. */
  private saving = 0;
  /** Another tab changed something while this one was busy: reload when idle. */
  private remoteChangeWaiting = false;
  /** Answers of other tabs whose lock this tab waits on. */
  private readonly watchedAnswers = new Set<string>();
  /**
   * Conversations whose last save failed (storage full, site data blocked), as this tab last had them: listed,
   * opened from here, and saved again on the next save or when the user switches away, until one succeeds.
   */
  private readonly unsaved = new Map<string, Conversation>();

  constructor(
    private readonly deps: {
      search: AnswerDeps['search'];
      engine: () => AnswerDeps['engine'];
      selectedDocIds: () => string[];
      /** What a question would search; without it every question is searched as asked. */
      searchScope?: () => SearchScope;
    },
    private readonly store = new ConversationStore(),
    /** `channel`: the BroadcastChannel name (tests give each test its own); null: no cross-tab messages. */
    { channel = CHANNEL }: { channel?: string | null } = {},
  ) {
    const first = newConversation();
    this.state = new Observable<ChatState>({ conversation: first, pendingId: null, list: [summarize(first)], storageProblem: null, deletedElsewhere: null, answeringElsewhere: [] });
    this.channel = channel !== null && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(channel) : null;
    if (this.channel) {
      this.channel.onmessage = () => this.onRemoteChange();
      // Node (unit tests): an open channel would keep the process alive; browsers have no unref.
      (this.channel as { unref?: () => void }).unref?.();
    }
  }

  /** Stops listening to other tabs. */
  dispose(): void {
    this.channel?.close();
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
      for (const c of all) this.seenStored.add(c.id);
      if (all[0]) this.state.update((s) => ({ ...s, conversation: all[0] }));
    } catch (e) {
      this.state.update((s) => ({ ...s, storageProblem: storageProblemOf(e) }));
    }
    this.publishList();
    await this.watchAnswersElsewhere();
  }

  /**
   * The conversation shown holds answers stored as interrupted: those whose lock another tab holds are still
   * being written there. They are listed in `answeringElsewhere` until the lock is let go; then the stored
   * conversation is read again (the finished answer, or still interrupted if that tab closed).
   */
  private async watchAnswersElsewhere(): Promise<void> {
    const { conversation, pendingId } = this.state.get();
    for (const turn of conversation.turns) {
      if (!isInterrupted(turn) || turn.id === pendingId || this.watchedAnswers.has(turn.id)) continue;
      const name = answerLockName(turn.id);
      if (!(await namedLockHeld(name))) continue;
      this.watchedAnswers.add(turn.id);
      this.state.update((s) => ({ ...s, answeringElsewhere: [...s.answeringElsewhere, turn.id] }));
      void whenNamedLockFree(name).then(async () => {
        await this.reloadFromStore();
        this.watchedAnswers.delete(turn.id);
        this.state.update((s) => ({ ...s, answeringElsewhere: s.answeringElsewhere.filter((id) => id !== turn.id) }));
      });
    }
  }

  private publishList(): void {
    this.state.update((s) => {
      const current = summarize(s.conversation);
      // A conversation kept after a failed save is listed as this tab has it (newer than its stored record).
      const kept = [...this.unsaved.values()].map(summarize);
      const others = [...this.stored.filter((c) => !this.unsaved.has(c.id)), ...kept].filter((c) => c.id !== current.id);
      return { ...s, list: [current, ...others].sort((a, b) => b.updatedAt - a.updatedAt) };
    });
  }

  private setTurns(fn: (turns: ChatTurn[]) => ChatTurn[]): void {
    this.state.update((s) => ({ ...s, conversation: { ...s.conversation, turns: fn(s.conversation.turns), updatedAt: Date.now() } }));
  }

  private patchTurn(id: string, p: Partial<ChatTurn>): void {
    this.setTurns((turns) => turns.map((t) => (t.id === id ? { ...t, ...p, updatedAt: nextTurnVersion(t) } : t)));
  }

  private busy(): boolean {
    return Boolean(this.state.get().pendingId) || this.saving > 0;
  }

  private announce(msg: ChangeMessage): void {
    this.channel?.postMessage(msg);
  }

  private onRemoteChange(): void {
    if (this.busy()) this.remoteChangeWaiting = true;
    else void this.reloadFromStore();
  }

  /**
   * Another tab saved or deleted a conversation: the list is read again, and the conversation shown gets the
   * stored turns merged in — or, deleted there, gives way to a new empty one. Only while idle: a question
   * asked meanwhile is left alone (its own save merges and finds a deletion).
   */
  private async reloadFromStore(): Promise<void> {
    let all: Conversation[];
    try {
      all = await this.store.list();
    } catch {
      return; // no storage: nothing another tab could have stored
    }
    this.stored = all.map(summarize);
    for (const c of all) this.seenStored.add(c.id);
    const current = this.state.get().conversation;
    const record = all.find((c) => c.id === current.id);
    if (!this.busy()) {
      if (record) {
        this.state.update((s) => (s.conversation.id === record.id ? { ...s, conversation: mergeConversations(record, s.conversation) } : s));
        void this.watchAnswersElsewhere();
      } else if (this.seenStored.has(current.id)) {
        this.seenStored.delete(current.id);
        this.state.update((s) => (s.conversation.id === current.id ? { ...s, conversation: newConversation(), deletedElsewhere: { title: current.title, keptAsNew: false } } : s));
      }
    } else {
      this.remoteChangeWaiting = true;
    }
    this.publishList();
  }

  /** After an answer and its save: what other tabs changed meanwhile is read now. */
  private async catchUp(): Promise<void> {
    if (!this.remoteChangeWaiting || this.busy()) return;
    this.remoteChangeWaiting = false;
    await this.reloadFromStore();
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
      deletedElsewhere: null,
      conversation: {
        ...s.conversation,
        title: s.conversation.turns.length === 0 ? q.slice(0, 80) : s.conversation.title,
        turns: [...s.conversation.turns, userTurn, pending],
        updatedAt: Date.now(),
      },
    }));
    this.publishList();
    this.abort = new AbortController();
    // Held until the answer's last save: other tabs showing the stored copy know it is still being written.
    const releaseAnswerLock = await holdNamedLock(answerLockName(pending.id));
    try {
      await this.answer(q, earlier, userTurn, pending);
    } finally {
      releaseAnswerLock();
    }
    await this.catchUp();
  }

  private async answer(q: string, earlier: ChatTurn[], userTurn: ChatTurn, pending: ChatTurn): Promise<void> {
    // Stored before the answer runs, with the answer marked interrupted: a reload or a closed tab mid-answer
    // keeps the question and says the answer was cut off, instead of losing both. Overwritten when it ends.
    const own = [userTurn.id, pending.id];
    await this.save({ interruptedId: pending.id, ownTurnIds: own });
    let result: Omit<ChatTurn, 'id' | 'createdAt'>;
    const scope = this.deps.searchScope?.();
    const nothing = scope ? nothingSearchedOf(scope) : null;
    if (nothing) {
      // Not searched, and no model asked: "not found in the documents" would be wrong.
      result = { role: 'assistant', content: '', error: { code: 'NOTHING_TO_SEARCH', message: scopeNoteText(nothing) }, nothingSearched: nothing };
    } else {
      try {
        result = await answerQuestion(q, earlier, this.deps.selectedDocIds(), { search: this.deps.search, engine: this.deps.engine() }, answerSettings.get(), {
          signal: this.abort!.signal,
          onSources: (sources) => this.patchTurn(pending.id, { sources, mode: this.deps.engine() ? 'model' : 'search' }),
          onText: (content) => this.patchTurn(pending.id, { content }),
        });
      } catch (e) {
        const err = AppError.from(e);
        result = { role: 'assistant', content: '', error: { code: err.code, message: err.message } };
      }
      const leftOut = scope ? leftOutOf(scope) : null;
      if (leftOut) result = { ...result, leftOut };
    }
    this.patchTurn(pending.id, result);
    this.abort = null;
    this.state.update((s) => ({ ...s, pendingId: null }));
    await this.save({ ownTurnIds: own });
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
    this.keepUnsaved();
    this.state.update((s) => ({ ...s, conversation: newConversation(), deletedElsewhere: null }));
    this.publishList();
  }

  /** Opens a stored conversation. Not while an answer is being written. */
  async open(id: string): Promise<void> {
    const s = this.state.get();
    if (s.pendingId || s.conversation.id === id) return;
    let conv: Conversation | undefined;
    let stored: Conversation | undefined;
    const kept = this.unsaved.get(id);
    try {
      stored = await this.store.get(id);
      conv = stored && kept ? mergeConversations(stored, kept) : (stored ?? kept);
    } catch (e) {
      this.state.update((x) => ({ ...x, storageProblem: storageProblemOf(e) }));
      conv = kept;
    }
    if (!conv) return;
    if (this.state.get().pendingId || this.state.get().conversation.id === id) return; // changed meanwhile
    this.keepUnsaved();
    // (Only a record read from the store counts as seen there: a missing record later then means a deletion.)
    if (stored) this.seenStored.add(conv.id);
    // The empty conversation being left is not kept.
    this.state.update((x) => ({ ...x, conversation: conv, deletedElsewhere: null }));
    this.publishList();
    await this.watchAnswersElsewhere();
  }

  /** Deletes a conversation; deleting the current one opens the most recent other one (or a new one). */
  async deleteConversation(id: string, { openNext = true } = {}): Promise<void> {
    const isCurrent = this.state.get().conversation.id === id;
    if (isCurrent) this.stop();
    this.seenStored.delete(id);
    this.unsaved.delete(id);
    try {
      await this.store.delete(id);
      this.announce({ kind: 'deleted', id });
    } catch {
      /* not stored (or no storage): removing it from the list is all there is to do */
    }
    this.stored = this.stored.filter((c) => c.id !== id);
    if (isCurrent) {
      const next = openNext && this.stored[0] ? await this.store.get(this.stored[0].id).catch(() => undefined) : undefined;
      this.state.update((s) => ({ ...s, pendingId: null, conversation: next ?? newConversation(), deletedElsewhere: null }));
    }
    this.publishList();
  }

  /**
   * The conversation shown is being left (another one opened, or a new one started). If its last save failed,
   * its latest copy is kept in memory and written again now (it stays listed either way).
   */
  private keepUnsaved(): void {
    const current = this.state.get().conversation;
    if (!this.unsaved.has(current.id)) return;
    this.unsaved.set(current.id, current);
    void this.save({ conversation: current });
  }

  exportMarkdown(): { name: string; text: string } {
    const c = this.state.get().conversation;
    const safe = c.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || 'conversation';
    return { name: `${safe}.md`, text: conversationToMarkdown(c) };
  }

  /**
   * Stores the current conversation (or `conversation`, one being left), merged with what other tabs stored of
   * it, and shows the merged turns when it is the one shown.
   * `interruptedId`: that (running) answer is stored as interrupted. `ownTurnIds`: the turns of the question
   * being asked, which move to a new conversation if this one turns out deleted in another tab.
   */
  private async save({ conversation, interruptedId, ownTurnIds = [] }: { conversation?: Conversation; interruptedId?: string; ownTurnIds?: string[] } = {}): Promise<void> {
    const current = conversation ?? this.state.get().conversation;
    if (current.turns.length === 0) return; // empty conversations are never stored
    const c = interruptedId ? { ...current, turns: current.turns.map((t) => (t.id === interruptedId ? { ...t, error: INTERRUPTED } : t)) } : current;
    this.saving++;
    let movedToNew = false;
    try {
      const outcome = await this.store.merge(c, { wasStored: this.seenStored.has(c.id) });
      if (outcome.kind === 'deleted') {
        this.unsaved.delete(c.id); // deletion wins over a copy kept after a failed save too
        movedToNew = this.moveOwnTurnsToNew(c, ownTurnIds);
      } else {
        const saved = outcome.conversation;
        this.seenStored.add(saved.id);
        this.stored = [summarize(saved), ...this.stored.filter((x) => x.id !== saved.id)];
        // The merged record plus whatever this tab added while it was written (the answer streams on).
        this.state.update((s) => (s.conversation.id === saved.id ? { ...s, conversation: mergeConversations(saved, s.conversation) } : s));
        this.announce({ kind: 'saved', id: saved.id });
        this.unsaved.delete(saved.id);
        if (this.state.get().storageProblem && this.unsaved.size === 0) this.state.update((s) => ({ ...s, storageProblem: null }));
      }
    } catch (e) {
      // Kept here (the latest copy, with what was added while the write failed) and written again later.
      this.unsaved.set(c.id, this.state.get().conversation.id === c.id ? this.state.get().conversation : c);
      this.state.update((s) => ({ ...s, storageProblem: storageProblemOf(e) }));
    } finally {
      this.saving--;
    }
    this.publishList();
    if (movedToNew) await this.save({ interruptedId, ownTurnIds }); // the new conversation is stored in its turn
  }

  /**
   * The conversation being saved was deleted in another tab. Deletion wins: its earlier turns are not stored
   * again; the question just asked here (and its answer) becomes a new conversation, or — with no such turns —
   * an empty one is shown. The tab says which. Returns whether there is a new conversation to store.
   */
  private moveOwnTurnsToNew(deleted: Conversation, ownTurnIds: string[]): boolean {
    this.seenStored.delete(deleted.id);
    this.stored = this.stored.filter((x) => x.id !== deleted.id);
    let kept = false;
    this.state.update((s) => {
      if (s.conversation.id !== deleted.id) return s;
      const own = s.conversation.turns.filter((t) => ownTurnIds.includes(t.id));
      const fresh = newConversation();
      const question = own.find((t) => t.role === 'user');
      const conversation = question ? { ...fresh, title: question.content.slice(0, 80), turns: own } : fresh;
      kept = Boolean(question);
      return { ...s, conversation, deletedElsewhere: { title: deleted.title, keptAsNew: kept } };
    });
    return kept;
  }
}
