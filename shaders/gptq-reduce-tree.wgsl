// reduce_rows for shaders/gptq-matvec-splitk.wgsl (and its f16 variant) without subgroups: a tree over the
// WG threads in workgroup memory (log2(WG) barriers, uniform control flow). Returns row `lid`'s total to
// threads lid < R (other threads get an unspecified value). The wrapper drops the subgroup builtins from the
// main kernel's signature when it appends this file; these constants stand in for them (unused here).

const sg_lane: u32 = 0u;
const sg_size: u32 = 1u;
var<workgroup> red: array<f32, 8 * WG>; // [8 rows][WG threads]

fn reduce_rows(acc: array<f32, 8>, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  for (var j = 0u; j < R; j++) { red[j * WG + lid] = acc[j]; }
  workgroupBarrier();
  // Step s adds slot i + s into slot i for i < s, for all R rows at once: R * s additions spread over WG threads.
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    for (var e = lid; e < R * s; e += WG) {
      let j = e / s;
      let i = e - j * s;
      red[j * WG + i] += red[j * WG + i + s];
    }
    workgroupBarrier();
  }
  var total = 0.0;
  if (lid < R) { total = red[lid * WG]; }
  return total;
}
