// The passages an answer used ("sources" panel): number, file, page, the passage text; each opens its page.
import type { CitedSource } from '../chat/types';
import { useI18n } from './i18n';

export function SourceList({ sources, onOpen, expanded }: { sources: CitedSource[]; onOpen: (s: CitedSource) => void; expanded: boolean }) {
  const { t } = useI18n();
  return (
    <ol className="sources" aria-label={t('sources')}>
      {sources.map((s) => (
        <li key={s.n} data-testid="source" data-page={s.page} data-file={s.file}>
          <button type="button" className="source-link" onClick={() => onOpen(s)} aria-label={t('openSource', { file: s.file, page: s.label || s.page })}>
            <span className="cite-num">[{s.n}]</span> <span className="source-file">{s.file}</span> · {t('page', { label: s.label || String(s.page) })}
          </button>
          {/* PDF text is shown as text, never as HTML. */}
          <blockquote className={expanded ? 'passage' : 'passage clamp'}>{s.text}</blockquote>
        </li>
      ))}
    </ol>
  );
}
