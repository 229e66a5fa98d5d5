// Read-only roofline probe: every vec4<u32> of `src` is read exactly once (grid-stride loop, no barriers in
// the hot loop); each workgroup writes the wrapping u32 sum of what it read to partial[workgroup].
// Bindings:
//   @binding(0) src:     array<vec4<u32>>  [n_vec4]      read
//   @binding(1) partial: array<u32>        [workgroups]  read-write
//   @binding(2) p:       Params            uniform {n_vec4, total_threads}
// Dispatch: `workgroups` (1-D, <= the per-dimension limit) of 256 threads.

struct Params { n_vec4: u32, total_threads: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> sums: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  var acc = vec4<u32>(0u);
  for (var i = gid.x; i < p.n_vec4; i += p.total_threads) {
    acc += src[i];
  }
  sums[lid] = acc.x + acc.y + acc.z + acc.w;
  workgroupBarrier();
  if (lid == 0u) {
    var t = 0u;
    for (var j = 0u; j < 256u; j++) { t += sums[j]; }
    partial[wid.x] = t;
  }
}
