// The hub endpoint (and optional access token). Endpoints the page's Content-Security-Policy would block
// are refused with an explanation (see csp-policy.ts).
import { useState } from 'react';
import { connectSources, endpointAllowed, pagePolicy } from './csp-policy';
import { useI18n } from './i18n';
import { hubSetting } from './state/settings';
import { useObservable } from './state/observable';

export function EndpointSetting() {
  const { t } = useI18n();
  const hub = useObservable(hubSetting);
  const [endpoint, setEndpoint] = useState(hub.endpoint);
  const [token, setToken] = useState(hub.token);
  const [problem, setProblem] = useState<string | null>(null);
  const policy = pagePolicy();
  const sources = policy ? connectSources(policy).filter((s) => s !== "'self'") : [];
  return (
    <form
      className="endpoint"
      onSubmit={(e) => {
        e.preventDefault();
        let url: URL;
        try {
          url = new URL(endpoint.trim());
        } catch {
          setProblem(`"${endpoint}" is not a URL.`);
          return;
        }
        if (policy && !endpointAllowed(url.href, connectSources(policy), location.origin)) {
          setProblem(t('endpointBlocked', { origins: sources.join(' '), origin: url.origin }));
          return;
        }
        setProblem(null);
        hubSetting.set({ endpoint: url.href.replace(/\/+$/, ''), token: token.trim() });
      }}
    >
      <label>
        {t('endpoint')}
        <input type="url" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} data-testid="endpoint-input" spellCheck={false} />
      </label>
      <label>
        {t('token')}
        <input type="password" value={token} autoComplete="off" onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit" data-testid="endpoint-save">{t('save')}</button>
      {problem ? <p className="problem" role="alert" data-testid="endpoint-problem">{problem}</p> : policy && <p className="small muted">{t('endpointHelp', { origins: sources.join(' ') })}</p>}
    </form>
  );
}
