import { execFileSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';

// The app under test gets its own port, never the app's 4173, so `npm test` runs while `npm start` serves:
// PDFCHAT_E2E_PORT if set, otherwise a port that is free now. It is chosen once, in the runner process, and
// passed to the workers (which load this file again) through the environment.
function e2ePort(): number {
  if (!process.env.PDFCHAT_E2E_PORT) {
    const probe = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
    process.env.PDFCHAT_E2E_PORT = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim();
  }
  const port = Number(process.env.PDFCHAT_E2E_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PDFCHAT_E2E_PORT must be a TCP port, got ${process.env.PDFCHAT_E2E_PORT}`);
  return port;
}
const port = e2ePort();

// Debian's Chromium (installed by scripts/setup-system.sh); WebGPU runs on its SwiftShader.
// Never `npx playwright install`: it downloads a browser and fails on machines without internet.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 300_000,
  // Two browsers at a time: on a 2-core machine the tier took 5.2 min with one worker and 3.9 min with two
  // (most tests wait on the page, not on the CPU). No test may change what the shared server serves
  // (app-update, which deploys a new sw.js, serves its own copy of dist/).
  workers: 2,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
