// Runs each kernel once on random data against its CPU twin; returns the max error per kernel.
import { acquireGpu, readBuffer, uploadBuffer } from './context';
import { AddKernel } from './kernels/add';
import { addCpu } from './cpu/add';

export interface SelfTestResult {
  adapter: string;
  f16: boolean;
  kernels: { name: string; maxAbsError: number; ok: boolean }[];
}

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

export async function runSelfTest(gpu: GPU | undefined): Promise<SelfTestResult> {
  const ctx = await acquireGpu(gpu);
  const kernels: SelfTestResult['kernels'] = [];
  {
    const n = 1000;
    const a = random(n, 1), b = random(n, 2);
    const ga = uploadBuffer(ctx, a), gb = uploadBuffer(ctx, b);
    const k = new AddKernel(ctx);
    const bound = k.bind(ga, gb, n);
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    k.encode(pass, bound);
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    const got = new Float32Array(await readBuffer(ctx, ga, n * 4));
    addCpu(a, b);
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(got[i] - a[i]));
    kernels.push({ name: 'add', maxAbsError: err, ok: err <= 1e-6 });
  }
  ctx.device.destroy();
  return { adapter: ctx.adapterName, f16: ctx.f16, kernels };
}
