// Residual add, in place: a[i] += b[i] for i < n.
// Bindings:
//   @group(0) @binding(0) a: array<f32>  [n]   read-write (the residual stream, updated in place)
//   @group(0) @binding(1) b: array<f32>  [n]   read
//   @group(0) @binding(2) p: Params            uniform {n}
// Dispatch: ceil(n / 256) workgroups (x, y split when over the per-dimension limit), 256 threads each.

struct Params { n: u32, stride_x: u32 }

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride_x;
  if (i < p.n) {
    a[i] = a[i] + b[i];
  }
}
