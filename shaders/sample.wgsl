// Token sampling on the GPU in ONE workgroup of 256 threads; only out[0] is read back per token.
// Algorithm (src/gpu/cpu/sample.ts is the identical CPU twin, same slices, same summation order, same RNG):
//   0. work[i] = logits[i]; thread t owns the contiguous slice [t*S, (t+1)*S), S = ceil(V / 256).
//   1. Repetition penalty (HF): for every id in history[0 .. Step.kv_len): work[id] = l > 0 ? l / rp : l * rp
//      with l = logits[id] (read from the untouched logits, so a repeated id is penalised once).
//   2. Argmax (lowest index on ties). temperature <= 0 or top_k == 1: the argmax is the token.
//   3. z[i] = work[i] * (1 / temperature); e[i] = exp(z[i] - z_max) (in `probs`).
//   4. top-k: kth = the k-th largest key(z) found exactly by bisection over the 32 bits of the order-preserving
//      key (f32 → u32); kept = key(z) >= kth (ties at the threshold are all kept).
//   5. top-p: among kept, the largest key T with sum_{key >= T} e >= top_p * sum_kept e; kept = key >= T.
//   6. Pick: u = pcg(seed + pcg(sample_step)) / 2^24 (24 bits); goal = u * sum_kept e; walk the slices in
//      order (per-slice sums) then the chosen slice element by element: the first kept i whose running sum
//      exceeds goal.
//   7. out[0] = id; history[Step.kv_len] = id (the position of the token just sampled, so the next step's
//      penalty sees it), skipped when kv_len >= max_seq.
// Bindings:
//   @binding(0) logits:  array<f32>  [V]        read (the caller binds the last row)
//   @binding(1) history: array<u32>  [max_seq]  read-write (token ids seen so far; entries < kv_len are valid)
//   @binding(2) out:     array<u32>  [1]        read-write (the sampled id)
//   @binding(3) work:    array<f32>  [V]        read-write scratch (penalised, then scaled logits z)
//   @binding(4) probs:   array<f32>  [V]        read-write scratch (e = exp(z - z_max))
//   @binding(5) p:       Params      uniform {vocab, max_seq}
//   @binding(6) s:       Sampler     uniform {temperature, top_k, top_p, repetition_penalty, inv_temperature}
//   @binding(7) step:    Step        uniform (kv_len, seed, sample_step)
// Dispatch: exactly 1 workgroup.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { vocab: u32, max_seq: u32, _p0: u32, _p1: u32 }
struct Sampler { temperature: f32, top_k: u32, top_p: f32, repetition_penalty: f32, inv_temperature: f32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> history: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<uniform> s: Sampler;
@group(0) @binding(7) var<uniform> step: Step;

const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;

var<workgroup> part_f: array<f32, 256>;
var<workgroup> part_u: array<u32, 256>;
var<workgroup> sh_u: u32;
var<workgroup> sh_f: f32;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Order-preserving map f32 → u32 (larger float, larger key).
fn key(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

fn finish(id: u32) {
  out[0] = id;
  if (step.kv_len < p.max_seq) { history[step.kv_len] = id; }
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  let V = p.vocab;
  let S = (V + WG - 1u) / WG;
  let b0 = min(lid * S, V);
  let b1 = min(b0 + S, V);

  // 0 + 1: copy, then repetition penalty.
  for (var i = b0; i < b1; i++) { work[i] = logits[i]; }
  storageBarrier();
  workgroupBarrier();
  let rp = s.repetition_penalty;
  if (rp != 1.0) {
    let count = min(step.kv_len, p.max_seq);
    for (var j = lid; j < count; j += WG) {
      let id = history[j];
      if (id < V) {
        let l = logits[id];
        work[id] = select(l * rp, l / rp, l > 0.0);
      }
    }
  }
  storageBarrier();
  workgroupBarrier();

  // 2: argmax, lowest index on ties.
  var best = 0.0;
  var bi = NONE;
  for (var i = b0; i < b1; i++) {
    let v = work[i];
    if (bi == NONE || v > best) { best = v; bi = i; }
  }
  part_f[lid] = best;
  part_u[lid] = bi;
  workgroupBarrier();
  if (lid == 0u) {
    var bv = 0.0;
    var bidx = NONE;
    for (var t = 0u; t < WG; t++) {
      if (part_u[t] != NONE && (bidx == NONE || part_f[t] > bv)) { bv = part_f[t]; bidx = part_u[t]; }
    }
    sh_u = bidx;
    sh_f = bv;
  }
  let arg = workgroupUniformLoad(&sh_u);
  let best_logit = workgroupUniformLoad(&sh_f);
  if (s.temperature <= 0.0 || s.top_k == 1u) {
    if (lid == 0u) { finish(arg); }
    return;
  }

  // 3: scaled logits and unnormalised probabilities (each thread touches only its own slice from here on).
  let inv_t = s.inv_temperature;
  let z_max = best_logit * inv_t;
  for (var i = b0; i < b1; i++) {
    let z = work[i] * inv_t;
    work[i] = z;
    probs[i] = exp(z - z_max);
  }

  // 4: top-k threshold (exact k-th largest key by bisection).
  var kth = 0u;
  if (s.top_k > 0u && s.top_k < V) {
    var T = 0u;
    for (var bit = 0u; bit < 32u; bit++) {
      let cand = T | (0x80000000u >> bit);
      var c = 0u;
      for (var i = b0; i < b1; i++) { if (key(work[i]) >= cand) { c++; } }
      part_u[lid] = c;
      workgroupBarrier();
      if (lid == 0u) {
        var tot = 0u;
        for (var t = 0u; t < WG; t++) { tot += part_u[t]; }
        sh_u = select(T, cand, tot >= s.top_k);
      }
      T = workgroupUniformLoad(&sh_u);
    }
    kth = T;
  }

  // 5: top-p threshold among the kept tokens.
  var thr = kth;
  if (s.top_p < 1.0) {
    var ms = 0.0;
    for (var i = b0; i < b1; i++) { if (key(work[i]) >= kth) { ms += probs[i]; } }
    part_f[lid] = ms;
    workgroupBarrier();
    if (lid == 0u) {
      var tot = 0.0;
      for (var t = 0u; t < WG; t++) { tot += part_f[t]; }
      sh_f = s.top_p * tot;
    }
    let need = workgroupUniformLoad(&sh_f);
    var T = 0u;
    for (var bit = 0u; bit < 32u; bit++) {
      let cand = max(T | (0x80000000u >> bit), kth);
      var m2 = 0.0;
      for (var i = b0; i < b1; i++) { if (key(work[i]) >= cand) { m2 += probs[i]; } }
      part_f[lid] = m2;
      workgroupBarrier();
      if (lid == 0u) {
        var tot = 0.0;
        for (var t = 0u; t < WG; t++) { tot += part_f[t]; }
        sh_u = select(T, T | (0x80000000u >> bit), tot >= need);
      }
      T = workgroupUniformLoad(&sh_u);
    }
    thr = max(T, kth);
  }

  // 6: ordered pick.
  var mk = 0.0;
  for (var i = b0; i < b1; i++) { if (key(work[i]) >= thr) { mk += probs[i]; } }
  part_f[lid] = mk;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var t = 0u; t < WG; t++) { total += part_f[t]; }
    let u = f32(pcg(step.seed + pcg(step.sample_step)) >> 8u) * (1.0 / 16777216.0);
    let goal = u * total;
    var chosen = arg;
    var cum = 0.0;
    for (var t = 0u; t < WG; t++) {
      let pt = part_f[t];
      if (pt > 0.0 && cum + pt > goal) {
        let i0 = min(t * S, V);
        let i1 = min(i0 + S, V);
        var c2 = cum;
        var last = NONE;
        for (var i = i0; i < i1; i++) {
          if (key(work[i]) >= thr) {
            last = i;
            c2 += probs[i];
            if (c2 > goal) { break; }
          }
        }
        if (last != NONE) { chosen = last; }
        break;
      }
      cum += pt;
    }
    finish(chosen);
  }
}
