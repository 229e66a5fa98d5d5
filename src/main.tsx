import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';
import { registerServiceWorker } from './ui/register-sw';
import { pruneOutdatedOcrAssets } from './pdf/ocr-cache';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
registerServiceWorker();
// OCR files of an earlier version (their URLs carry the versions) are not asked for again: free their storage.
void pruneOutdatedOcrAssets(new URL(import.meta.env.BASE_URL, location.href).href);
