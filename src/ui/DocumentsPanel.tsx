// Documents: drop or pick several PDFs; the list with progress and problems; the search mode in effect.
import { useRef, useState } from 'react';
import type { DocumentsService } from './services/documents';
import { useObservable } from './state/observable';
import { useI18n } from './i18n';
import { DocumentItem } from './DocumentItem';
import { SearchModeSetting } from './SearchModeSetting';
import type { SemanticSearch } from './services/semantic';

export function DocumentsPanel({ documents, semantic }: { documents: DocumentsService; semantic: SemanticSearch }) {
  const { t } = useI18n();
  const state = useObservable(documents.state);
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  // Every file goes to the service: what is not a PDF, unreadable or already here comes back as a notice.
  const addFiles = (list: FileList | null) => {
    const files = [...(list ?? [])];
    if (files.length) void documents.addFiles(files);
  };
  return (
    <section className="panel documents" aria-labelledby="documents-title">
      <h2 id="documents-title">{t('documents')}</h2>
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          addFiles(e.dataTransfer.files);
        }}
      >
        <span>{t('dropHere')} </span>
        <button type="button" className="link-button" onClick={() => input.current?.click()}>
          {t('choose')}
        </button>
        <input ref={input} type="file" accept="application/pdf,.pdf" multiple hidden data-testid="pdf-input" onChange={(e) => { addFiles(e.target.files); e.target.value = ''; }} />
      </div>
      {state.storageProblem && (
        <p className="problem warn small" role="alert" data-testid="documents-storage-problem" data-code="STORAGE_UNAVAILABLE">
          {t('documentsNotStored', { reason: state.storageProblem.reason })}
        </p>
      )}
      {state.notices.length > 0 && (
        <div className="file-notices" data-testid="file-notices">
          {state.notices.map((n, i) => (
            <p key={i} className={n.kind === 'duplicate' ? 'small muted' : 'problem'} role={n.kind === 'duplicate' ? 'status' : 'alert'} data-testid="file-notice" data-kind={n.kind} data-code={n.code}>
              {n.message}
            </p>
          ))}
          <button type="button" className="link-button" onClick={() => documents.dismissNotices()} data-testid="dismiss-notices">
            {t('close')}
          </button>
        </div>
      )}
      {state.ready && state.docs.length === 0 && <p className="muted">{t('noDocuments')}</p>}
      <ul className="doc-list">
        {state.docs.map((d) => (
          <DocumentItem
            key={d.docId}
            doc={d}
            onRemove={() => void documents.remove(d.docId)}
            onSelect={(s) => documents.setSelected(d.docId, s)}
            onUnlock={(pw) => void documents.unlock(d.docId, pw)}
            onCancelOcr={() => documents.cancelOcr(d.docId)}
            onRecognise={(o) => void documents.recognisePages(d.docId, o)}
            onOcrLanguages={(l) => void documents.setOcrLanguages(d.docId, l)}
          />
        ))}
      </ul>
      <SearchModeSetting documents={documents} semantic={semantic} />
    </section>
  );
}
