// The Content-Security-Policy reaches the Web Workers too: `vite preview` (what `npm start` serves) sends it as
// an HTTP header on every response, including the worker scripts (a <meta> tag binds only the page).
import { expect, test } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/assets/', import.meta.url));

test('pages and worker scripts are served with the CSP header; connect-src is self + hub origins only', async ({ request }) => {
  const workers = readdirSync(dist).filter((f) => /worker/i.test(f) && f.endsWith('.js'));
  expect(workers.length).toBeGreaterThan(0);
  for (const path of ['/', '/selftest.html', ...workers.map((w) => `/assets/${w}`)]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    const csp = res.headers()['content-security-policy'];
    expect(csp, path).toBeTruthy();
    const connect = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src'))!;
    expect(connect).toContain("'self'");
    expect(connect).not.toMatch(/(^|\s)(\*|https:|http:)(\s|$)/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  }
});
