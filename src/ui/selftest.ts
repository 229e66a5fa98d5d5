// GPU self-test page (selftest.html): runs WGSL kernels on this browser's WebGPU adapter and compares each
// with its CPU twin. Users can open it to check their GPU; the end-to-end suite uses it as its kernel smoke test.
import { runSelfTest } from '../gpu/selftest';

const out = document.getElementById('out')!;
runSelfTest(navigator.gpu)
  .then((r) => {
    out.textContent = JSON.stringify(r, null, 2);
    (window as unknown as { selfTest: unknown }).selfTest = r;
  })
  .catch((e) => {
    const err = { error: { code: e?.code ?? 'INTERNAL', message: String(e?.message ?? e) } };
    out.textContent = JSON.stringify(err, null, 2);
    (window as unknown as { selfTest: unknown }).selfTest = err;
  });
