// The llama.cpp race of scripts/bench-device.sh: `bench --peer llama.cpp` (src/cli/commands/bench-peer.ts: the
// same Q4_0 weights written as a GGUF, node-llama-cpp's Vulkan build on the same adapter, log-probability
// agreement, interleaved prefill/decode tok/s and ratios) run in a CHILD process of the same bundle
// (bench-device.mjs --peer-child bench …), so that whatever goes wrong there — no Vulkan device for llama.cpp, a
// native crash, shader compilation that takes longer than the step's time — costs that race only: the child is
// killed at its time limit, and the race becomes an entry with an error, the stderr tail and how long it ran, while
// the rest of the JSON is kept and the run goes on. The child's temp files (the GGUF: 0.6 GB for TinyLlama, 3.6 GB
// for Llama-2-7B) go to a private TMPDIR, removed afterwards even when the child was killed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PeerRaceSpec {
  /** A synthetic shape name (src/model/synthetic.ts), e.g. tinyllama-1.1b. */
  shape: string;
  promptTokens: number;
  genTokens: number;
}

export interface PeerRaceEntry {
  shape: string;
  prompt_tokens: number;
  gen_tokens: number;
  backend: string;
  seconds: number;
  /** What bench --peer printed (both engines' tok/s, ratios, agreement, weights, peer_device), when it finished. */
  result?: Record<string, unknown>;
  error?: string;
  /** The child's last stderr lines (its progress, or why it failed). */
  stderr_tail?: string;
  /** Something to know about a race that finished, e.g. llama.cpp saw no Vulkan device and ran on the CPU. */
  warning?: string;
}

/** "tinyllama-1.1b:128:32" → shape, prompt tokens, generated tokens (defaults 128 and 32). */
export function parsePeerSpec(spec: string): PeerRaceSpec {
  const [shape, prompt = '128', gen = '32'] = spec.split(':');
  return { shape, promptTokens: Number(prompt), genTokens: Number(gen) };
}

export async function runPeerRace(opts: {
  /** The bundle (bench-device.mjs) to run with --peer-child. */
  bundle: string;
  spec: PeerRaceSpec;
  backend: string;
  timeoutS: number;
  /** More flags for bench --peer (--peer-runs, --check-tokens, --tune-cache, …). */
  extraArgs: string[];
  onStderr?: (text: string) => void;
}): Promise<PeerRaceEntry> {
  const { spec } = opts;
  const base = { shape: spec.shape, prompt_tokens: spec.promptTokens, gen_tokens: spec.genTokens, backend: opts.backend };
  const args = [opts.bundle, '--peer-child', '--model', `synthetic:${spec.shape}`, '--peer', 'llama.cpp', '--peer-backend', opts.backend,
    '--prompt-tokens', String(spec.promptTokens), '--gen-tokens', String(spec.genTokens), ...opts.extraArgs];
  const tmp = mkdtempSync(join(tmpdir(), 'bench-device-peer-'));
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((done) => {
      const child = spawn(process.execPath, [...process.execArgv, ...args], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, Math.max(0, opts.timeoutS) * 1000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-4000);
        opts.onStderr?.(d);
      });
      child.on('error', (e) => { clearTimeout(timer); done({ code: null, signal: null, spawnError: e }); });
      child.on('close', (code, signal) => { clearTimeout(timer); done({ code, signal }); });
    });
    const tail = stderr.trim().split('\n').slice(-12).join('\n');
    if (exit.spawnError) return { ...base, seconds: seconds(), error: `could not start the race: ${exit.spawnError.message}` };
    if (timedOut) return { ...base, seconds: seconds(), error: `llama.cpp race stopped at its time limit of ${opts.timeoutS} s (raise --peer-timeout-s, or give the run more time)`, stderr_tail: tail };
    const last = stdout.trim().split('\n').at(-1) ?? '';
    if (exit.code !== 0 || !last.startsWith('{')) {
      return { ...base, seconds: seconds(), error: `bench --peer exited with ${exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`}${last.startsWith('{') ? '' : ' without its JSON'}`, stderr_tail: tail };
    }
    const result = JSON.parse(last) as Record<string, unknown>;
    const entry: PeerRaceEntry = { ...base, seconds: seconds(), result };
    if (opts.backend === 'vulkan' && result.peer_device === 'CPU') entry.warning = 'llama.cpp found no Vulkan device and ran on the CPU: not a same-adapter race';
    return entry;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
