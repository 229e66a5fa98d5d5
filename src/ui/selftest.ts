// GPU self-test page (selftest.html): runs WGSL kernels on this browser's WebGPU adapter and compares each
// with its CPU twin. Users can open it to check their GPU; the end-to-end suite uses it as its kernel smoke test.
// With ?hub=ENDPOINT&repo=OWNER/NAME[&prompt=TEXT&max=N] it also downloads that model (into memory, nothing
// persisted), loads it into the engine and prints the greedy raw continuation of the prompt: the browser twin
// of `cli generate --raw --temperature 0`.
// "Benchmark this GPU" (src/model/bench-synthetic.ts): roofline, autotuner (choices kept in IndexedDB), prefill
// and decode tok/s on a synthetic TinyLlama-shaped model; ?bench=SHAPE runs it at once on that shape
// (&roofline-mib=N: a smaller roofline buffer, for quick checks on CPU drivers).
import { idbTuneCache } from '../gpu/autotune-cache';
import { acquireGpu } from '../gpu/context';
import { runSelfTest } from '../gpu/selftest';
import { benchSynthetic } from '../model/bench-synthetic';
import { LlamaEngine } from '../model/engine';
import { cachedModelFiles, downloadModel, MemoryBackend } from '../store';

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const w = window as unknown as { selfTest: unknown; engineCheck: unknown; gpuBench: unknown };
const benchButton = document.getElementById('bench') as HTMLButtonElement;
const benchOut = document.getElementById('bench-out')!;

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

async function benchmark(shape: string): Promise<void> {
  benchButton.disabled = true;
  try {
    const ctx = await acquireGpu(navigator.gpu);
    try {
      const mib = Number(params.get('roofline-mib') ?? 0);
      const r = await benchSynthetic(ctx, { shape, tuneCache: idbTuneCache(), ...(mib > 0 ? { rooflineBytes: mib * 2 ** 20 } : {}), onStep: (step) => (benchOut.textContent = `running: ${step}…`) });
      const tuned = r.tune ? r.tune.decisions.map((d) => `${d.shape}: ${d.variant}${d.fromCache ? ' (cached)' : ''}${d.staleChoice ? ` (cached ${d.staleChoice.variant} gave wrong output: tuned again)` : ''}`).join('\n  ') : 'off';
      benchOut.textContent = [
        `${r.adapter} (${r.f16 ? 'f16' : 'f32'} path), synthetic ${r.shape}`,
        `read roofline      ${r.roofline.gbps.toFixed(1)} GB/s (${r.roofline.best})`,
        `prefill            ${r.prefillTokS.toFixed(1)} tok/s (${r.promptTokens} tokens)`,
        `decode             ${r.decodeTokS.toFixed(1)} tok/s = ${(r.decodeRooflineFraction * 100).toFixed(0)} % of the roofline`,
        `kernels tuned      ${r.tune ? `${r.tune.ms.toFixed(0)} ms, kept in ${r.tune.cache}` : 'no'}`,
        `  ${tuned}`,
        '',
        JSON.stringify(r),
      ].join('\n');
      w.gpuBench = r;
    } finally {
      ctx.device.destroy();
    }
  } catch (e) {
    w.gpuBench = asError(e);
    benchOut.textContent = JSON.stringify(w.gpuBench, null, 2);
  } finally {
    benchButton.disabled = false;
  }
}
benchButton.addEventListener('click', () => void benchmark('tinyllama-1.1b'));

(async () => {
  // One GPU job at a time: a benchmark that ran beside the self-test (or the ?hub model check) would time both
  // against each other. The button is offered once they are done.
  benchButton.disabled = true;
  benchButton.title = 'Waiting for the self-test to finish';
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
  benchButton.title = '';
  const shape = params.get('bench');
  if (shape) await benchmark(shape);
  else benchButton.disabled = false;
})();
