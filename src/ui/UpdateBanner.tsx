// "A new version is ready": shown when a new app version waits (src/ui/register-sw.ts), never a reload the user
// did not ask for; after another tab took the new version, "reload this tab when it is free".
import { useI18n } from './i18n';
import { appUpdate, applyAppUpdate } from './register-sw';
import { useObservable } from './state/observable';

export function UpdateBanner() {
  const { t } = useI18n();
  const state = useObservable(appUpdate);
  if (state === 'none') return null;
  return (
    <div className="top-notice" data-testid="app-update" data-state={state}>
      <div className="notice" role="status">
        {state === 'ready' ? t('updateReady') : t('updateReloadNeeded')}{' '}
        <button type="button" onClick={applyAppUpdate} data-testid="app-update-reload">
          {t('updateReload')}
        </button>
      </div>
    </div>
  );
}
