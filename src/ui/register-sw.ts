/// <reference types="vite-plugin-pwa/client" />
// Registers the Workbox service worker (vite-plugin-pwa) in production builds: the app shell, pdf.js and
// its data are precached so the app opens and works with the network off.
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  import('virtual:pwa-register')
    .then(({ registerSW }) => registerSW({ immediate: true }))
    .catch(() => undefined);
}
