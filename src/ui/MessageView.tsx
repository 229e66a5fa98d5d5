// One turn of the conversation. Assistant turns: streamed Markdown answer (sanitised) with clickable
// citations, or in search mode the best passages; then the sources and tokens/s.
import { useCallback } from 'react';
import type { ChatTurn, CitedSource } from '../chat/types';
import { useI18n } from './i18n';
import { MarkdownView } from './MarkdownView';
import { SourceList } from './SourceList';
import { scopeNoteKey } from './services/chat';

/** `elsewhere`: another tab is still writing this answer (its stored copy says interrupted until it is done). */
export function MessageView({ turn, pending, elsewhere = false, onOpenSource }: { turn: ChatTurn; pending: boolean; elsewhere?: boolean; onOpenSource: (s: CitedSource) => void }) {
  const { t } = useI18n();
  const sources = turn.sources ?? [];
  const citeLabel = useCallback((n: number) => {
    const s = sources[n - 1];
    return s ? t('openSource', { file: s.file, page: s.label || s.page }) : `[${n}]`;
  }, [sources, t]);
  if (turn.role === 'user') {
    return (
      <article className="turn user" aria-label={t('you')}>
        <p className="user-text">{turn.content}</p>
      </article>
    );
  }
  const open = (n: number) => {
    const s = sources[n - 1];
    if (s) onOpenSource(s);
  };
  return (
    <article className="turn assistant" aria-label={t('assistant')} data-testid="answer" data-mode={turn.mode ?? ''} aria-busy={pending || elsewhere}>
      {turn.mode === 'search' && (
        <p className="search-banner" data-testid="search-mode-banner">
          {t('searchModeBanner')}
        </p>
      )}
      {turn.mode === 'search' && sources.length === 0 && !pending && <p>{t('noPassages')}</p>}
      {turn.mode !== 'search' && turn.content && <MarkdownView text={turn.content} sourceCount={sources.length} citeLabel={citeLabel} onCite={open} />}
      {pending && !turn.content && <p className="muted thinking">{t('thinking')}</p>}
      {turn.stopped && <p className="muted small">{t('stopped')}</p>}
      {turn.notice && <p className="muted small" role="status" data-testid="answer-notice">{turn.notice}</p>}
      {turn.leftOut && (
        <p className="muted small" role="status" data-testid="answer-left-out">
          {t(scopeNoteKey(turn.leftOut), { n: turn.leftOut.count })}
        </p>
      )}
      {elsewhere && (
        <p className="muted thinking" data-testid="answering-elsewhere">
          {t('answeringElsewhere')}
        </p>
      )}
      {turn.error && !elsewhere && (
        <p className="problem" role="alert" data-code={turn.error.code}>
          {turn.nothingSearched ? t(scopeNoteKey(turn.nothingSearched), { n: turn.nothingSearched.count }) : turn.error.message}
        </p>
      )}
      {sources.length > 0 && (
        <div className="turn-sources">
          {turn.mode !== 'search' && (
            <div className="cite-chips" aria-label={t('sources')}>
              {sources.map((s) => (
                <button key={s.n} type="button" className="cite" data-testid="citation" data-cite={s.n} onClick={() => onOpenSource(s)} title={citeLabel(s.n)} aria-label={citeLabel(s.n)}>
                  [{s.n}]
                </button>
              ))}
            </div>
          )}
          <details open={turn.mode === 'search'}>
            <summary>{t('sources')} ({sources.length})</summary>
            <SourceList sources={sources} onOpen={onOpenSource} expanded={turn.mode === 'search'} />
          </details>
        </div>
      )}
      {turn.stats && turn.stats.decodeTokS > 0 && (
        <p className="small muted" data-testid="tok-s">
          {t('tokS', { n: turn.stats.decodeTokS.toFixed(1) })} · {turn.stats.generatedTokens} / {turn.stats.promptTokens}
        </p>
      )}
    </article>
  );
}
