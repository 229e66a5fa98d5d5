// scripts/bench-device.sh end to end on this machine's adapter (lavapipe here) with a tiny synthetic shape:
// it bundles or unpacks the benchmark, finds Node (the vendored one when scripts/prepare-bench-device.sh has
// run, else this one) and writes one JSON file with the roofline, the autotuner's choices and bench numbers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';

describe('scripts/bench-device.sh', () => {
  it('writes one JSON file: adapter, roofline patterns, tuned variants and bench tok/s for the shape asked', () => {
    const dir = makeTempDir('bench-device-');
    const out = join(dir, 'bench.json');
    const r = spawnSync('bash', ['scripts/bench-device.sh', '--out', out, '--shapes', 'tiny-test:8:2', '--roofline-mib', '64',
      '--kernel-mib', '0', '--tune-min-layer-bytes', '0', '--tune-budget-ms', '60000'], { encoding: 'utf8', env: { ...process.env, BENCH_DEVICE_TIMEOUT: '400' } });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.adapter.name).toBeTruthy();
    expect(j.stages.map((s: { stage: string }) => s.stage)).toEqual(['roofline', 'bench tiny-test:8:2']);
    for (const s of j.stages) expect(s.error, s.stage).toBeUndefined();
    expect(j.roofline.bytes).toBe(64 * 2 ** 20);
    expect(j.roofline.patterns.length).toBeGreaterThan(4);
    expect(j.models).toHaveLength(1);
    const m = j.models[0];
    expect(m.shape).toBe('tiny-test');
    expect(m.decode_tok_s).toBeGreaterThan(0);
    expect(m.read_roofline_gbps).toBeCloseTo(j.roofline.gbps, 1);
    expect(m.autotune.decisions.length).toBe(4); // tiny-test's q/o, k/v, gate/up, down shapes
    for (const d of m.autotune.decisions) {
      expect(d.complete, d.shape).toBe(true);
      expect(d.candidates.length, d.shape).toBeGreaterThan(1);
    }
    // The tuner's file lands beside the output, so it comes back with it.
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'autotune.json'), 'utf8')))).toHaveLength(4);
  }, 420_000);
});
