import { describe, expect, it } from 'vitest';
import { runSelfTest } from '../../src/gpu/selftest';
import { nodeGpu } from '../../src/gpu/node-gpu';

describe('GPU self-test in Node (Dawn)', () => {
  it('runs every self-test kernel and matches the CPU twins', async () => {
    const r = await runSelfTest(nodeGpu());
    expect(r.kernels.length).toBeGreaterThan(0);
    for (const k of r.kernels) expect(k, k.name).toMatchObject({ ok: true });
  });
});
