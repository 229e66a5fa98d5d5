// Read-only roofline probe, contiguous pattern: thread t reads its own run of vec4s [t * run, (t + 1) * run)
// (the pattern CPU drivers such as lavapipe stream best: one SIMD lane per thread, each lane a linear stream).
// Each workgroup writes the wrapping u32 sum of what it read to partial[workgroup] (a tree in workgroup memory).
// Bindings:
//   @binding(0) src:     array<vec4<u32>>  [n_vec4]      read
//   @binding(1) partial: array<u32>        [workgroups]  read-write (workgroup index wid.x + wid.y * grid_x)
//   @binding(2) p:       Params            uniform {n_vec4, run, grid_x}
// Dispatch: ceil(n_vec4 / (run * WG)) workgroups of WG threads, folded into (grid_x, y).
// Override: WG (a power of two, <= maxComputeInvocationsPerWorkgroup).

struct Params { n_vec4: u32, run: u32, grid_x: u32, _p0: u32 }

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> sums: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * p.grid_x;
  let t = w * WG + lid;
  let i0 = t * p.run;
  let i1 = min(i0 + p.run, p.n_vec4);
  var acc = vec4<u32>(0u);
  for (var i = i0; i < i1; i++) {
    acc += src[i];
  }
  sums[lid] = acc.x + acc.y + acc.z + acc.w;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { sums[lid] += sums[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partial[w] = sums[0]; }
}
