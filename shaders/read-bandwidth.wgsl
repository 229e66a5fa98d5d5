// Read-only roofline probe, grid-stride pattern: thread t of T reads vec4 t, t + T, t + 2T, … (adjacent threads
// read adjacent vec4s: the coalesced pattern of GPUs). Each workgroup writes the wrapping u32 sum of what it
// read to partial[workgroup] (a tree in workgroup memory), so the reads cannot be optimised away.
// Bindings:
//   @binding(0) src:     array<vec4<u32>>  [n_vec4]      read
//   @binding(1) partial: array<u32>        [workgroups]  read-write
//   @binding(2) p:       Params            uniform {n_vec4, total_threads}
// Dispatch: `workgroups` (1-D, <= the per-dimension limit) of WG threads; total_threads = workgroups * WG.
// Override: WG (a power of two, <= maxComputeInvocationsPerWorkgroup).

struct Params { n_vec4: u32, total_threads: u32, _p0: u32, _p1: u32 }

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> sums: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  var acc = vec4<u32>(0u);
  for (var i = gid.x; i < p.n_vec4; i += p.total_threads) {
    acc += src[i];
  }
  sums[lid] = acc.x + acc.y + acc.z + acc.w;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sums[lid] += sums[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partial[wid.x] = sums[0]; }
}
