// Groups a prefill chunk's routing slots by expert (for the grouped expert kernels, which read each chosen
// expert's weights once for all the tokens that chose it):
//   groups[e, 0] = how many slots chose expert e;  groups[e, 1 + i] = the i-th such slot s = t · top_k + j
//   (in slot order; an expert appears at most once per token, so a count never exceeds Step.m ≤ max_m).
// Bindings:
//   @binding(0) route:  array<u32>  [M, top_k, 2]       read (shaders/moe-route.wgsl)
//   @binding(1) groups: array<u32>  [n_experts, 1 + max_m] read-write
//   @binding(2) p:      Params      uniform {n_experts, top_k, max_m}
//   @binding(3) step:   Step        uniform (tokens = Step.m)
// Dispatch: ceil(n_experts / 64) workgroups of 64; one thread per expert.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n_experts: u32, top_k: u32, max_m: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> route: array<u32>;
@group(0) @binding(1) var<storage, read_write> groups: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x;
  if (e >= p.n_experts) { return; }
  let base = e * (1u + p.max_m);
  var cnt = 0u;
  for (var s = 0u; s < step.m * p.top_k; s++) {
    if (route[2u * s] == e) {
      groups[base + 1u + cnt] = s;
      cnt++;
    }
  }
  groups[base] = cnt;
}
