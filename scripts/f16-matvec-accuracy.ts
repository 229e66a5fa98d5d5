// Accuracy cost of the f16-arithmetic split-K GPTQ matvec (shaders/gptq-matvec-splitk-f16.wgsl) on this
// adapter: max |y_f16 - y_f32| / max |y_f32| over all rows, y_f32 = the f32 CPU twin (gptqLinearCpu), for
// random layers at Llama shapes (group 128, scales 0.002..0.022, zeros 1..15) and x uniform in [-a, a].
// Also the f32 split-K for comparison. Prints one line per (shape, a).
import { acquireGpu, createBuffer, readBuffer, STORAGE, uploadBuffer } from '../src/gpu/context';
import { gptqLinearCpu } from '../src/gpu/cpu/gptq-linear';
import { uploadGptq, type PackedGptq } from '../src/gpu/gptq-repack';
import { GptqMatvecKernel, splitKVariant } from '../src/gpu/kernels/gptq-linear';
import { nodeGpu } from '../src/gpu/node-gpu';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { f32ToF16Bits } from '../src/shared/f16';

const ctx = await acquireGpu(nodeGpu());
if (!ctx.f16) { console.log(`${ctx.adapterName} has no shader-f16: nothing to measure`); process.exit(0); }
let s = 12345;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
const step = createStepBuffer(ctx);
writeStep(ctx, step, { pos0: 0, m: 1 });
const red = ctx.subgroups ? 'subgroup' : 'tree';
for (const [K, N] of [[2048, 1024], [5632, 512]]) {
  const G = 128, nG = K / G;
  const words = Uint32Array.from({ length: (N * K) / 8 }, rnd);
  const sz = Uint32Array.from({ length: N * nG }, () => f32ToF16Bits(0.002 + (rnd() / 2 ** 32) * 0.02) | ((1 + (rnd() % 15)) << 16));
  const packed: PackedGptq = { K, N, groupSize: G, nGroups: nG, words, sz, perm: null, bias: null };
  const w = uploadGptq(ctx, packed);
  for (const a of [1, 10, 100]) {
    const x = Float32Array.from({ length: K }, () => (rnd() / 2 ** 31 - 1) * a);
    const want = gptqLinearCpu(x, packed);
    let mx = 0;
    for (const v of want) mx = Math.max(mx, Math.abs(v));
    const errs: string[] = [];
    for (const v of [splitKVariant(4, red), splitKVariant(4, red, true)]) {
      const y = createBuffer(ctx, N * 4, STORAGE);
      const k = new GptqMatvecKernel(ctx, { variant: v });
      const b = k.bind(uploadBuffer(ctx, x), w, y, step);
      const enc = ctx.device.createCommandEncoder(); const p = enc.beginComputePass(); k.encode(p, b, 1); p.end(); ctx.device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(ctx, y, N * 4));
      let d = 0;
      for (let i = 0; i < N; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
      errs.push(`${v.name}: ${(d / mx).toExponential(2)}`);
    }
    console.log(`K=${K} N=${N} g128, |x| <= ${a}: max rel error vs f32 twin — ${errs.join(', ')}`);
  }
}
ctx.device.destroy();
