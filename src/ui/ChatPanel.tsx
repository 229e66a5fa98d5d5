// The chat: conversation list, conversation, composer with Ask/Stop, toolbar (clear, export Markdown, settings).
import { useEffect, useRef, useState } from 'react';
import type { CitedSource } from '../chat/types';
import type { ChatService } from './services/chat';
import { useObservable } from './state/observable';
import { useI18n } from './i18n';
import { MessageView } from './MessageView';
import { SettingsDialog } from './SettingsDialog';
import { ConversationBar } from './ConversationBar';

interface Props {
  chat: ChatService;
  modelName: string | null;
  hasDocuments: boolean;
  onOpenSource(s: CitedSource): void;
}

export function ChatPanel({ chat, modelName, hasDocuments, onOpenSource }: Props) {
  const { t } = useI18n();
  const { conversation, pendingId, answeringElsewhere } = useObservable(chat.state);
  const [question, setQuestion] = useState('');
  const [settingsOpen, setSettingsOpen] = useState(false);
  const endRef = useRef<HTMLDivElement>(null);
  const last = conversation.turns.at(-1);
  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [conversation.turns.length, last?.content]);

  const submit = () => {
    if (!question.trim() || pendingId) return;
    void chat.ask(question);
    setQuestion('');
  };
  const exportMd = () => {
    const { name, text } = chat.exportMarkdown();
    const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className="panel chat" aria-labelledby="chat-title">
      <div className="chat-toolbar">
        <h2 id="chat-title">{t('chat')}</h2>
        <span className={modelName ? 'badge model' : 'badge search'} data-testid="mode-badge">
          {modelName ?? t('searchModeLabel')}
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => void chat.clear()} disabled={conversation.turns.length === 0 || Boolean(pendingId)} data-testid="clear-chat">
          {t('clearConversation')}
        </button>
        <button type="button" onClick={exportMd} disabled={conversation.turns.length === 0 || Boolean(pendingId) /* not half an answer */} data-testid="export-md">
          {t('exportMarkdown')}
        </button>
        <button type="button" onClick={() => setSettingsOpen(true)} data-testid="open-settings">
          {t('settings')}
        </button>
      </div>
      <ConversationBar chat={chat} />
      <div className="messages" aria-live="polite" aria-relevant="additions text">
        {conversation.turns.length === 0 && <p className="muted empty-chat">{hasDocuments ? t('tagline') : t('noDocsToAsk')}</p>}
        {conversation.turns.map((turn) => (
          <MessageView key={turn.id} turn={turn} pending={turn.id === pendingId} elsewhere={answeringElsewhere.includes(turn.id)} onOpenSource={onOpenSource} />
        ))}
        <div ref={endRef} />
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="sr-only" htmlFor="question">{t('askPlaceholder')}</label>
        <textarea
          id="question"
          rows={2}
          value={question}
          placeholder={t('askPlaceholder')}
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
          data-testid="question"
        />
        {pendingId ? (
          <button type="button" className="stop" onClick={() => chat.stop()} data-testid="stop">
            {t('stop')}
          </button>
        ) : (
          <button type="submit" disabled={!question.trim()} data-testid="ask">
            {t('ask')}
          </button>
        )}
      </form>
      <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
    </section>
  );
}
