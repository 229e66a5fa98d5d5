import { describe, expect, it } from 'vitest';
import { acquireGpu, hasWideSubgroups } from '../../src/gpu/context';
import { runSelfTest } from '../../src/gpu/selftest';
import { nodeGpu } from '../../src/gpu/node-gpu';

describe('GPU self-test in Node (Dawn)', () => {
  it('runs every self-test kernel and matches the CPU twins', async () => {
    const r = await runSelfTest(nodeGpu());
    expect(r.kernels.length).toBeGreaterThan(0);
    for (const k of r.kernels) expect(k, k.name).toMatchObject({ ok: true });
    // The autotuner's candidates are checked too: every prefill matmul tile and dense split-K / rows-per-thread vec4 variant.
    const names = r.kernels.map((k) => k.name);
    expect(names).toContain('gptq-matmul tm8 rt8 wg32');
    expect(names).toContain('gptq-matmul tm4 rt4 wg128 v4');
    expect(names).toContain('dense-matvec split-k r4 tree');
    const ctx = await acquireGpu(nodeGpu(), { preferF16: false });
    const wide = hasWideSubgroups(ctx); // where rows-per-thread vec4 is offered
    ctx.device.destroy();
    expect(names.includes('dense-matvec rows-per-thread vec4 r1'), r.adapter).toBe(wide);
  });
});
