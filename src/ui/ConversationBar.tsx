// The conversation list: pick one of the stored conversations, start a new one, delete the one shown; says
// when the conversation shown was deleted in another tab.
import type { ChatService } from './services/chat';
import { useObservable } from './state/observable';
import { useI18n } from './i18n';

export function ConversationBar({ chat }: { chat: ChatService }) {
  const { t, lang } = useI18n();
  const { conversation, list, pendingId, storageProblem, deletedElsewhere } = useObservable(chat.state);
  const busy = Boolean(pendingId);
  const when = (ms: number) => new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en', { dateStyle: 'short', timeStyle: 'short' });
  return (
    <div className="conversation-bar">
      <label className="conversation-pick">
        <span className="sr-only">{t('conversations')}</span>
        <select
          value={conversation.id}
          disabled={busy}
          onChange={(e) => void chat.open(e.target.value)}
          aria-label={t('conversations')}
          data-testid="conversation-select"
        >
          {list.map((c) => (
            <option key={c.id} value={c.id} data-testid="conversation-option">
              {c.questions === 0 ? t('newConversationTitle') : `${c.title} · ${c.questions === 1 ? t('oneQuestion') : t('questions', { n: c.questions })} · ${when(c.updatedAt)}`}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => chat.startNew()} disabled={busy || conversation.turns.length === 0} data-testid="new-conversation">
        {t('newConversation')}
      </button>
      <button
        type="button"
        className="danger"
        onClick={() => void chat.deleteConversation(conversation.id)}
        disabled={busy || conversation.turns.length === 0}
        data-testid="delete-conversation"
      >
        {t('deleteConversation')}
      </button>
      {storageProblem && (
        <p className="problem warn small" role="status" data-testid="conversations-not-stored">
          {storageProblem.full ? t('conversationsStorageFull') : t('conversationsNotStored', { reason: storageProblem.reason })}
        </p>
      )}
      {deletedElsewhere && (
        <p className="problem warn small" role="status" data-testid="deleted-elsewhere">
          {t(deletedElsewhere.keptAsNew ? 'deletedElsewhereKept' : 'deletedElsewhere', { title: deletedElsewhere.title })}
        </p>
      )}
    </div>
  );
}
