// GPU self-test page (selftest.html): runs WGSL kernels on this browser's WebGPU adapter and compares each
// with its CPU twin. Users can open it to check their GPU; the end-to-end suite uses it as its kernel smoke test.
// With ?hub=ENDPOINT&repo=OWNER/NAME[&prompt=TEXT&max=N] it also downloads that model (into memory, nothing
// persisted), loads it into the engine and prints the greedy raw continuation of the prompt: the browser twin
// of `cli generate --raw --temperature 0`.
import { runSelfTest } from '../gpu/selftest';
import { LlamaEngine } from '../model/engine';
import { cachedModelFiles, downloadModel, MemoryBackend } from '../store';

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const w = window as unknown as { selfTest: unknown; engineCheck: unknown };

function show(report: unknown): void {
  out.textContent = JSON.stringify(report, null, 2);
}

function asError(e: unknown) {
  const x = e as { code?: string; message?: string };
  return { error: { code: x?.code ?? 'INTERNAL', message: String(x?.message ?? e) } };
}

async function engineCheck(hub: string, repo: string) {
  const backend = new MemoryBackend();
  await downloadModel({ hub: { endpoint: hub }, backend, repo, revision: 'main', requestPersistence: false });
  const engine = new LlamaEngine(navigator.gpu);
  const info = await engine.load(await cachedModelFiles(backend, repo, 'main'), { preferF16: params.get('precision') !== 'f32' });
  const prompt = params.get('prompt') ?? 'Once upon a time';
  let text = '';
  for await (const t of engine.generate(prompt, { raw: true, temperature: 0, maxTokens: Number(params.get('max') ?? 64) })) text += t.text;
  const stats = engine.lastStats();
  await engine.unload();
  return { adapter: info.adapter, f16: info.f16, quantization: info.quantization, prompt, text, stats };
}

(async () => {
  const report: Record<string, unknown> = {};
  try {
    report.selfTest = await runSelfTest(navigator.gpu);
    w.selfTest = report.selfTest;
  } catch (e) {
    w.selfTest = report.selfTest = asError(e);
  }
  show(report);
  const hub = params.get('hub'), repo = params.get('repo');
  if (hub && repo) {
    out.textContent += '\nrunning the model…';
    try {
      w.engineCheck = report.engineCheck = await engineCheck(hub, repo);
    } catch (e) {
      w.engineCheck = report.engineCheck = asError(e);
    }
    show(report);
  }
})();
