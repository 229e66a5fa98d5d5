/** CPU twin of shaders/read-bandwidth.wgsl: the wrapping u32 sum of every word (= the sum of the GPU partials). */
export function readBandwidthCpu(words: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < words.length; i++) s = (s + words[i]) >>> 0;
  return s;
}
