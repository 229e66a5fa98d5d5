// scripts/bench-device.sh's own handling, without a GPU: a copy of the script in a fake checkout (no node_modules,
// so it takes .vendor/device's payload), a stub `node` (a shell script that records its environment and pids and
// sleeps, with a grandchild that ignores SIGINT as a race's child might) and a stub `ldconfig` on PATH.
// - Ctrl-C (SIGINT to the script's process group), SIGTERM and SIGHUP to the script stop the benchmark at once
//   (timeout runs it in a process group of its own, which the terminal's Ctrl-C does not reach), exit 130/143/129,
//   leave no process of it behind and remove the temp dir; the time limit still stops it (124).
// - A truncated node.xz or payload.tar.xz (an interrupted copy) stops with exit 2 and says which file.
// - The NVIDIA manifest is written only when no ICD folder has a manifest (one folder with one is enough).
// And scripts/bench-device-main.ts where Dawn finds no adapter: the JSON says so (stage, code, what to check).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';

const root = resolve(__dirname, '../..');

const STUB_NODE = `#!/usr/bin/env bash
if [ "\${1:-}" = --version ]; then echo v22.0.0-stub; exit 0; fi
echo "VK_ICD_FILENAMES=\${VK_ICD_FILENAMES:-}" > "$STUB_LOG"
sleep "\${STUB_SLEEP:-0}" &   # a grandchild: a background job of a script ignores SIGINT
echo "$!" >> "$STUB_PIDS"
echo "$$" >> "$STUB_PIDS"
sleep "\${STUB_SLEEP:-0}"
`;
const STUB_LDCONFIG = `#!/usr/bin/env bash
[ -n "\${STUB_NVIDIA:-}" ] && printf '\\tlibGLX_nvidia.so.0 (libc6,x86-64) => /fake/lib/libGLX_nvidia.so.0\\n'
exit 0
`;

interface Fake { dir: string; repo: string; vendor: string; tmp: string; pids: string; log: string; env: NodeJS.ProcessEnv }

function fakeCheckout(opts: { vendoredNode?: boolean } = {}): Fake {
  const dir = makeTempDir('bench-device-script-');
  const repo = join(dir, 'repo');
  const vendor = join(repo, '.vendor', 'device');
  const bin = join(dir, 'bin');
  const tmp = join(dir, 'tmp');
  for (const d of [join(repo, 'scripts'), vendor, bin, tmp, join(dir, 'payload')]) mkdirSync(d, { recursive: true });
  copyFileSync(join(root, 'scripts', 'bench-device.sh'), join(repo, 'scripts', 'bench-device.sh'));
  writeFileSync(join(dir, 'payload', 'bench-device.mjs'), '// stub\n');
  execFileSync('bash', ['-c', `tar -C "${join(dir, 'payload')}" -cf - . | xz -1 > "${join(vendor, 'payload.tar.xz')}"`]);
  writeFileSync(join(bin, 'node'), STUB_NODE);
  writeFileSync(join(bin, 'ldconfig'), STUB_LDCONFIG);
  chmodSync(join(bin, 'node'), 0o755);
  chmodSync(join(bin, 'ldconfig'), 0o755);
  // The vendored Node: the stub itself, xz'd (so the script runs the unpacked copy).
  if (opts.vendoredNode) execFileSync('bash', ['-c', `xz -1 -c "${join(bin, 'node')}" > "${join(vendor, 'node.xz')}"`]);
  const pids = join(dir, 'pids');
  const log = join(dir, 'log');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp, STUB_PIDS: pids, STUB_LOG: log };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  delete env.BENCH_DEVICE_ICD_DIRS;
  return { dir, repo, vendor, tmp, pids, log, env };
}

const script = (f: Fake) => join(f.repo, 'scripts', 'bench-device.sh');
const run = (f: Fake, env: NodeJS.ProcessEnv = {}) => spawnSync('bash', [script(f)], { encoding: 'utf8', env: { ...f.env, ...env }, timeout: 30_000 });

/** Whether a process exists (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const stubPids = (f: Fake) => (existsSync(f.pids) ? readFileSync(f.pids, 'utf8').split('\n').filter(Boolean).map(Number) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) if (cond()) return true;
  return cond();
}

const started: { child: ChildProcess; f: Fake }[] = [];
afterEach(() => {
  // Whatever a failing test left: the script's group and the stub's processes.
  for (const { child, f } of started.splice(0)) {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    for (const p of stubPids(f)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
});

describe('scripts/bench-device.sh: signals and the time limit', () => {
  const cases = [
    { name: 'Ctrl-C (SIGINT to the script\'s process group)', sig: 'SIGINT' as const, group: true, status: 130 },
    { name: 'SIGTERM to the script', sig: 'SIGTERM' as const, group: false, status: 143 },
    { name: 'SIGHUP to the script', sig: 'SIGHUP' as const, group: false, status: 129 },
  ];
  for (const c of cases) {
    it(`${c.name} stops the benchmark within 2 s, exit ${c.status}, no process of it left, temp dir removed`, async () => {
      const f = fakeCheckout();
      // detached: the script leads a process group of its own, as a shell's foreground job does.
      const child = spawn('bash', [script(f)], { env: { ...f.env, STUB_SLEEP: '30', BENCH_DEVICE_TIMEOUT: '20' }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      started.push({ child, f });
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
      expect(await until(() => stubPids(f).length === 2, 10_000), stderr).toBe(true);
      await sleep(200); // the stub's foreground sleep is running
      const t0 = Date.now();
      process.kill(c.group ? -child.pid! : child.pid!, c.sig);
      const r = await Promise.race([closed, sleep(6000).then(() => ({ code: null, signal: null, late: true }))]);
      expect(r, stderr).not.toHaveProperty('late');
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(r.code, stderr).toBe(c.status);
      const pids = stubPids(f);
      expect(await until(() => pids.every((p) => !alive(p)), 1000), `left running: ${pids.filter(alive).join(' ')}`).toBe(true);
      expect(readdirSync(f.tmp)).toEqual([]); // the work folder (payload, Node, its TMPDIR) is gone
    }, 20_000);
  }

  it('the time limit still stops it: exit 124, says so, no process left', async () => {
    const f = fakeCheckout();
    const t0 = Date.now();
    const r = spawnSync('bash', [script(f)], { encoding: 'utf8', env: { ...f.env, STUB_SLEEP: '30', BENCH_DEVICE_TIMEOUT: '1' }, timeout: 15_000 });
    expect(r.status, r.stderr).toBe(124);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.stderr).toMatch(/stopped after 1 s/);
    const pids = stubPids(f);
    expect(pids).toHaveLength(2);
    expect(await until(() => pids.every((p) => !alive(p)), 1000), `left running: ${pids.filter(alive).join(' ')}`).toBe(true);
    expect(readdirSync(f.tmp)).toEqual([]);
  }, 20_000);

  it('a run that finishes exits with the benchmark\'s status (the vendored Node, unpacked)', () => {
    const f = fakeCheckout({ vendoredNode: true });
    const r = run(f);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/node v22\.0\.0-stub/);
    expect(stubPids(f)).toHaveLength(2);
    expect(readdirSync(f.tmp)).toEqual([]);
  });
});

describe('scripts/bench-device.sh: damaged vendored files', () => {
  it('a truncated node.xz stops with exit 2 and says which file and what to do', () => {
    const f = fakeCheckout({ vendoredNode: true });
    const xz = join(f.vendor, 'node.xz');
    truncateSync(xz, Math.floor(statSync(xz).size / 2));
    const r = run(f);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`could not unpack ${xz}`);
    expect(r.stderr).toMatch(/prepare-bench-device\.sh/);
    expect(stubPids(f)).toEqual([]); // nothing ran
    expect(readdirSync(f.tmp)).toEqual([]);
  });

  it('a truncated payload.tar.xz stops with exit 2 and says which file', () => {
    const f = fakeCheckout();
    const xz = join(f.vendor, 'payload.tar.xz');
    truncateSync(xz, statSync(xz).size - 20);
    const r = run(f);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`could not unpack ${xz}`);
    expect(stubPids(f)).toEqual([]);
  });
});

describe('scripts/bench-device.sh: the NVIDIA ICD manifest', () => {
  function icdDirs(f: Fake, withManifest: boolean[]): string {
    return withManifest.map((has, i) => {
      const d = join(f.dir, `icd${i}`);
      mkdirSync(d);
      if (has) writeFileSync(join(d, 'some_icd.json'), '{}\n');
      return d;
    }).join(':');
  }

  it('is not forced when only one of the ICD folders has manifests', () => {
    const f = fakeCheckout();
    const r = run(f, { STUB_NVIDIA: '1', BENCH_DEVICE_ICD_DIRS: icdDirs(f, [true, false]) });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(f.log, 'utf8').trim()).toBe('VK_ICD_FILENAMES=');
  });

  it('is written when no ICD folder has one and NVIDIA\'s library is there', () => {
    const f = fakeCheckout();
    const r = run(f, { STUB_NVIDIA: '1', BENCH_DEVICE_ICD_DIRS: icdDirs(f, [false, false]) });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(f.log, 'utf8').trim()).toMatch(/^VK_ICD_FILENAMES=.*\/nvidia_icd\.json$/);
  });

  it('is not written without NVIDIA\'s library', () => {
    const f = fakeCheckout();
    const r = run(f, { BENCH_DEVICE_ICD_DIRS: icdDirs(f, [false, false]) });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(f.log, 'utf8').trim()).toBe('VK_ICD_FILENAMES=');
  });
});

describe('scripts/bench-device-main.ts without a GPU adapter', () => {
  const main = (out: string, dir: string) => spawnSync(process.execPath,
    ['--import', './scripts/node20-polyfills.mjs', '--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/bench-device-main.ts', '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, VK_ICD_FILENAMES: join(dir, 'no-such-icd.json'), VK_DRIVER_FILES: '' } });

  it('writes the JSON (in a folder it makes) with the stage and a coded error that says what to check; exit 1', () => {
    const dir = makeTempDir('bench-device-main-');
    const out = join(dir, 'not', 'yet', 'bench.json');
    const r = main(out, dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^bench-device: failed at gpu \[NO_WEBGPU\]: .*Vulkan/m);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.status).toBe('failed');
    expect(j.error).toMatchObject({ stage: 'gpu', code: 'NO_WEBGPU' });
    expect(j.error.message).toMatch(/Vulkan driver/);
    expect(j.error.message).toContain(`VK_ICD_FILENAMES is ${join(dir, 'no-such-icd.json')} (${join(dir, 'no-such-icd.json')} does not exist)`);
    expect(j.error.message).not.toMatch(/Search mode/);
  });

  it('replaces an older JSON at the same path', () => {
    const dir = makeTempDir('bench-device-main-');
    const out = join(dir, 'bench.json');
    writeFileSync(out, JSON.stringify({ started: '2020-01-01T00:00:00.000Z', stages: [{ stage: 'roofline', seconds: 1 }], adapter: { name: 'old' } }));
    const r = main(out, dir);
    expect(r.status, r.stderr).toBe(1);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.started).not.toBe('2020-01-01T00:00:00.000Z');
    expect(j.adapter).toBeUndefined();
    expect(j.stages).toEqual([]);
    expect(j.error.code).toBe('NO_WEBGPU');
  });

  it('an --out that cannot be made: a clear error up front, exit 2', () => {
    const dir = makeTempDir('bench-device-main-');
    writeFileSync(join(dir, 'file'), '');
    const r = main(join(dir, 'file', 'bench.json'), dir);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^bench-device: cannot write --out .*file\/bench\.json: /m);
  });
});
