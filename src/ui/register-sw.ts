/// <reference types="vite-plugin-pwa/client" />
// Registers the Workbox service worker (vite-plugin-pwa) in production builds: the app shell, pdf.js and
// its data are precached so the app opens and works with the network off.
//
// A new version never reloads a page by itself (registerType 'prompt' in vite.config.ts): an open tab may be
// downloading a model, loading it, recognising a scan or streaming an answer, and a reload would cut all of
// that off. When a new version has been installed and waits, every open tab shows "A new version is ready"
// (appUpdate = 'ready'); the tab whose user clicks Reload activates it and reloads. The other tabs are then
// served by the new version's worker, whose precache no longer holds the old files: they say so
// (appUpdate = 'reload-needed') and reload only when their user clicks.
import { Observable } from './state/observable';

export type AppUpdateState = 'none' | 'ready' | 'reload-needed';

/** What the update banner shows (src/ui/UpdateBanner.tsx). */
export const appUpdate = new Observable<AppUpdateState>('none');

let activate: ((reloadPage?: boolean) => Promise<void>) | null = null;
/** Set when this tab's user asked for the new version: its takeover then reloads this tab. */
let requestedHere = false;

/** The user clicked Reload: activate the waiting version (the page reloads once it controls it), or just reload. */
export function applyAppUpdate(): void {
  if (appUpdate.get() === 'ready' && activate) {
    requestedHere = true;
    void activate(true);
  } else {
    location.reload();
  }
}

/** The announced new version now controls this tab (after a Reload here or in another tab). */
function takenOver(): void {
  if (requestedHere) location.reload();
  else if (appUpdate.get() === 'ready') appUpdate.set('reload-needed');
}

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // workbox-window reports the takeover only to a tab that had a controller when it registered (not to the
  // tab of the very first visit), so the controller change is watched here too; a first visit's own takeover
  // (no version announced) changes nothing.
  navigator.serviceWorker.addEventListener('controllerchange', takenOver);
  import('virtual:pwa-register')
    .then(({ registerSW }) => {
      activate = registerSW({
        immediate: true,
        onNeedRefresh: () => appUpdate.set('ready'),
        // Given, so that the plugin never reloads a tab itself.
        onNeedReload: takenOver,
      });
    })
    .catch(() => undefined);
}
