// Node only: the WebGPU implementation from the npm `webgpu` package (Google's Dawn).
// Never imported by browser code. Run under scripts/with-gpu-env.sh so a Vulkan driver is found.
import { create, globals } from 'webgpu';

let gpu: GPU | undefined;

export function nodeGpu(): GPU {
  if (!gpu) {
    Object.assign(globalThis, globals);
    gpu = create([]) as GPU;
  }
  return gpu;
}
