// scripts/bench-device.sh end to end on this machine's adapter (lavapipe here) with a tiny synthetic shape:
// it bundles or unpacks the benchmark, finds Node (the vendored one when scripts/prepare-bench-device.sh has
// run, else this one) and writes one JSON file with the roofline, the kernel bench on small shapes (every dense
// matvec variant and matmul tile), the autotuner's choices, bench numbers and the
// llama.cpp race. The race runs node-llama-cpp from the bundle's own node_modules (its JS bundled, the prebuilt
// binaries found through @node-llama-cpp/linux-x64) on llama.cpp's CPU backend: its Vulkan backend works on
// lavapipe but compiles its shaders for minutes on a cold start, too slow for the suite (the device run uses
// Vulkan). A race that fails (here: for a shape that does not exist) becomes an error entry with the child's
// message; the run still exits 0 with everything else in the JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { GPTQ_MATMUL_TILES, tileSupports } from '../../src/gpu/kernels/gptq-matmul-tiles';
import { makeTempDir } from '../temp-dir';

describe('scripts/bench-device.sh', () => {
  it('writes one JSON file: adapter, roofline patterns, tuned variants, bench tok/s and the llama.cpp race for the shapes asked', () => {
    const dir = makeTempDir('bench-device-');
    const out = join(dir, 'bench.json');
    const r = spawnSync('bash', ['scripts/bench-device.sh', '--out', out, '--shapes', 'tiny-test:8:2', '--roofline-mib', '64',
      '--kernel-shapes', 'small', '--kernel-mib', '1', '--kernel-budget-s', '8', '--tune-min-layer-bytes', '0', '--tune-budget-ms', '20000',
      '--peer-shapes', 'no-such-shape:8:2,tiny-test:12:4', '--peer-backend', 'cpu', '--peer-runs', '2', '--peer-min-s', '0', '--peer-no-tune'],
    { encoding: 'utf8', env: { ...process.env, BENCH_DEVICE_TIMEOUT: '400' } });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.adapter.name).toBeTruthy();
    // The race of tiny-test right after its bench; the one for a shape not benched after all benches.
    expect(j.stages.map((s: { stage: string }) => s.stage)).toEqual(['roofline', 'kernels', 'bench tiny-test:8:2', 'peer tiny-test:12:4', 'peer no-such-shape:8:2']);
    for (const s of j.stages.filter((s: { stage: string }) => s.stage !== 'peer no-such-shape:8:2')) expect(s.error, s.stage).toBeUndefined();
    expect(j.roofline.bytes).toBe(64 * 2 ** 20);
    expect(j.roofline.patterns.length).toBeGreaterThan(4);
    // The kernel bench: every dense matvec variant and every prefill matmul tile, not only the defaults (a case
    // is either timed or listed as skipped for the stage's time budget; the first always runs).
    const kernelRows: { kernel: string; variant: string; ms: number }[] = j.kernels.rows;
    expect(kernelRows.length).toBeGreaterThan(0);
    for (const r of kernelRows) expect(r.ms, `${r.kernel} ${r.variant}`).toBeGreaterThan(0);
    const cases = [...kernelRows.map((r) => `${r.kernel} ${r.variant}`), ...j.kernels.skipped as string[]];
    const reduces = j.features.subgroups ? ['subgroup', 'tree'] : ['tree'];
    for (const r of [2, 4, 8]) for (const red of reduces) expect(cases.some((c) => c.startsWith(`dense-matvec (lm_head f16) split-k r${r} ${red}`)), `dense split-k r${r} ${red}`).toBe(true);
    expect(cases.some((c) => c.startsWith(`dense-matvec (lm_head f16) ${ONE_ROW_PER_THREAD.name}`))).toBe(true);
    for (const t of GPTQ_MATMUL_TILES.filter((t) => tileSupports(t, { K: 512, groupSize: 128, nGroups: 4 }))) {
      expect(cases.some((c) => c.startsWith(`gptq-matmul (prefill M=4) ${t.name}`)), t.name).toBe(true);
    }
    expect(cases.filter((c) => c.startsWith('gptq-matvec ')).length).toBeGreaterThan(1);
    expect(j.models).toHaveLength(1);
    const m = j.models[0];
    expect(m.shape).toBe('tiny-test');
    expect(m.decode_tok_s).toBeGreaterThan(0);
    expect(m.read_roofline_gbps).toBeCloseTo(j.roofline.gbps, 1);
    // The GPTQ matvec decisions ("K=… N=… g=…"): tiny-test's q/o, k/v, gate/up, down shapes (the tuner may decide
    // other kernels too: the dense matvec, the prefill matmul tiles).
    const matvec = m.autotune.decisions.filter((d: { shape: string }) => /^K=\d+ N=\d+ g=\d+$/.test(d.shape));
    expect(matvec.length).toBe(4);
    for (const d of matvec) {
      expect(d.complete, d.shape).toBe(true);
      expect(d.candidates.length, d.shape).toBeGreaterThan(1);
    }
    // The tuner's file lands beside the output, so it comes back with it: one entry per decision that measured
    // something (a shape the budget did not reach is `skipped` and left for the next load).
    const measured = m.autotune.decisions.filter((d: { skipped?: string }) => !d.skipped);
    expect(measured.length).toBeGreaterThanOrEqual(matvec.length);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'autotune.json'), 'utf8')))).toHaveLength(measured.length);

    // The race: the same Q4_0 weights in both engines, log-probabilities that agree, both engines' tok/s and ratios.
    expect(j.peer).toHaveLength(2);
    const [race, failed] = j.peer;
    expect(race).toMatchObject({ shape: 'tiny-test', prompt_tokens: 12, gen_tokens: 4, backend: 'cpu' });
    expect(race.error, race.stderr_tail).toBeUndefined();
    expect(race.result).toMatchObject({ peer: 'llama.cpp', peer_backend: 'cpu', peer_device: 'CPU', model: 'synthetic:tiny-test', prompt_tokens: 12, gen_tokens: 4 });
    expect(race.result.weights).toMatchObject({ format: 'Q4_0', exact_layers: 14, requantised_layers: 0 });
    expect(race.result.agreement.compared).toBe(8 * 1024); // --check-tokens 8 (the default) × tiny-test's vocabulary
    expect(race.result.agreement.ok).toBe(true);
    expect(race.result.runs).toHaveLength(2);
    for (const k of ['ours_prefill_tok_s', 'ours_decode_tok_s', 'peer_prefill_tok_s', 'peer_decode_tok_s', 'prefill_ratio', 'decode_ratio']) expect(race.result[k], k).toBeGreaterThan(0);
    // The failed race: an error entry with the child's own message, and no result.
    expect(failed).toMatchObject({ shape: 'no-such-shape', backend: 'cpu' });
    expect(failed.result).toBeUndefined();
    expect(failed.error).toMatch(/exited with status 1/);
    expect(failed.stderr_tail).toMatch(/no-such-shape/);
    expect(j.stages.at(-1).error).toBe(failed.error);
  }, 420_000);
});
