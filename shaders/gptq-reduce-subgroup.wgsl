// reduce_rows for shaders/gptq-matvec-splitk.wgsl (and its f16 variant) with the `subgroups` feature:
// subgroupAdd per row, then one slot per subgroup in workgroup memory, summed by thread j for row j.
// Subgroup s is taken to hold local indices [s * sg_size, (s + 1) * sg_size) (what 1-D workgroups get on the
// drivers we know; the autotuner checks every variant's output against the CPU twin before it uses it).
// Returns row `lid`'s total to threads lid < R (other threads get an unspecified value).
enable subgroups;

var<workgroup> red: array<f32, 8 * WG>; // [WG slots][8 rows]; only n_subgroups slots are used

fn reduce_rows(acc: array<f32, 8>, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  let slot = lid / sg_size;
  for (var j = 0u; j < R; j++) {
    let t = subgroupAdd(acc[j]);
    if (sg_lane == 0u) { red[slot * 8u + j] = t; }
  }
  workgroupBarrier();
  var total = 0.0;
  if (lid < R) {
    let n_sg = (WG + sg_size - 1u) / sg_size;
    for (var s = 0u; s < n_sg; s++) { total += red[s * 8u + lid]; }
  }
  return total;
}
