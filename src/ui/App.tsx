// The app shell: header (mode, language), documents + models side panel, chat, page viewer.
// On a narrow screen the three panels become tabs.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { CitedSource } from '../chat/types';
import { I18nProvider, useI18n, type Lang } from './i18n';
import { DocumentsService, isSearchable } from './services/documents';
import { ModelsService } from './services/models';
import { ChatService } from './services/chat';
import { SemanticSearch } from './services/semantic';
import { useObservable } from './state/observable';
import { DocumentsPanel } from './DocumentsPanel';
import { ModelManager } from './ModelManager';
import { ChatPanel } from './ChatPanel';
import { PdfViewer, type ViewerTarget } from './PdfViewer';
import { WebGpuNotice } from './WebGpuNotice';
import { UpdateBanner } from './UpdateBanner';

type Tab = 'documents' | 'chat' | 'models';

export function App() {
  return (
    <I18nProvider>
      <Shell />
    </I18nProvider>
  );
}

function Shell() {
  const { t, lang, setLang } = useI18n();
  const services = useMemo(() => {
    const semantic = new SemanticSearch();
    const documents = new DocumentsService(semantic);
    // The embedder worker failed: the search-mode line says so (keyword search, and why).
    semantic.onFailure = () => void documents.refreshMode();
    const models = new ModelsService();
    const chat = new ChatService({
      search: (q, o) => documents.search(q, o),
      engine: () => models.loadedEngine(),
      selectedDocIds: () => documents.selectedReadyIds(),
      searchScope: () => documents.searchScope(),
    });
    return { documents, models, chat, semantic };
  }, []);
  const { documents, models, chat, semantic } = services;
  const docs = useObservable(documents.state);
  const m = useObservable(models.state);
  const answering = Boolean(useObservable(chat.state).pendingId);
  const [tab, setTab] = useState<Tab>('chat');
  const [viewing, setViewing] = useState<ViewerTarget | null>(null);
  const [online, setOnline] = useState(navigator.onLine);

  useEffect(() => {
    void documents.init();
    void models.init();
    void chat.init();
    const on = () => setOnline(navigator.onLine);
    addEventListener('online', on);
    addEventListener('offline', on);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', on);
    };
  }, [documents, models, chat]);

  const openSource = useCallback((s: CitedSource) => setViewing({ docId: s.docId, file: s.file, page: s.page, text: s.text }), []);
  const loadBytes = useCallback((id: string) => documents.bytes(id), [documents]);
  const password = useCallback((id: string) => documents.password(id), [documents]);
  const rememberPassword = useCallback((id: string, pw: string) => documents.rememberPassword(id, pw), [documents]);
  // The repo (or folder) names the model better than config's name, which converters often leave generic.
  const modelName = m.loaded ? m.loaded.key.replace(/@main$/, '').replace(/^folder:/, '') : null;

  const tabs: { id: Tab; label: string }[] = [
    { id: 'documents', label: t('tabDocuments') },
    { id: 'chat', label: t('tabChat') },
    { id: 'models', label: t('tabModels') },
  ];

  return (
    <div className="app" data-tab={tab} data-ready={docs.ready && m.gpu.checked ? 'true' : 'false'}>
      <header className="app-header">
        <h1>{t('appTitle')}</h1>
        <span className={modelName ? 'badge model' : 'badge search'} data-testid="header-mode">
          {modelName ? modelName : t('searchModeLabel')}
        </span>
        {!online && <span className="badge offline">{t('offline')}</span>}
        <span className="spacer" />
        <label className="lang">
          <span className="sr-only">{t('language')}</span>
          <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang" aria-label={t('language')}>
            <option value="en">English</option>
            <option value="zh">中文</option>
          </select>
        </label>
      </header>
      <nav className="tabs" role="tablist" aria-label="Sections">
        {tabs.map((x) => (
          <button key={x.id} type="button" role="tab" aria-selected={tab === x.id} onClick={() => setTab(x.id)} data-testid={`tab-${x.id}`}>
            {x.label}
          </button>
        ))}
      </nav>
      <UpdateBanner />
      {m.gpu.checked && !m.gpu.available && (
        <div className="top-notice">
          <WebGpuNotice />
        </div>
      )}
      <div className="columns">
        <aside className="side">
          <div className="tab-documents">
            <DocumentsPanel documents={documents} semantic={semantic} />
          </div>
          <div className="tab-models">
            <ModelManager models={models} answering={answering} />
          </div>
        </aside>
        <main className="tab-chat">
          <ChatPanel chat={chat} modelName={modelName} hasDocuments={docs.docs.some(isSearchable)} onOpenSource={openSource} />
        </main>
      </div>
      <PdfViewer target={viewing} loadBytes={loadBytes} password={password} rememberPassword={rememberPassword} onClose={() => setViewing(null)} />
    </div>
  );
}
