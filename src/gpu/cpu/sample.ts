// CPU twin of shaders/sample.wgsl: the identical algorithm (same slices, same f32 summation order, same RNG),
// so a seeded GPU draw and this function pick the same id (up to exp() rounding at an exact boundary).

export interface SamplerOptions {
  /** 0 → greedy argmax. */
  temperature: number;
  /** 0 → off. */
  topK: number;
  /** 1 → off. */
  topP: number;
  /** 1 → off. HF semantics: logit > 0 ? logit / p : logit * p, once per distinct id in the history. */
  repetitionPenalty: number;
}

const WG = 256;
const f = Math.fround;

export function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The sampler's uniform draw in [0, 1): 24 random bits from (seed, step). */
export function sampleUniform(seed: number, step: number): number {
  return (pcg((seed + pcg(step)) >>> 0) >>> 8) / 16777216;
}

const fb = new Float32Array(1);
const ub = new Uint32Array(fb.buffer);
/** Order-preserving f32 → u32 key. */
export function orderKey(x: number): number {
  fb[0] = x;
  const b = ub[0];
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

export function sampleCpu(logits: Float32Array, history: ArrayLike<number>, historyCount: number, o: SamplerOptions, seed: number, step: number): number {
  const V = logits.length;
  const S = Math.ceil(V / WG);
  const slice = (t: number): [number, number] => { const b0 = Math.min(t * S, V); return [b0, Math.min(b0 + S, V)]; };
  const work = Float32Array.from(logits);
  const rp = f(o.repetitionPenalty);
  if (rp !== 1) {
    for (let j = 0; j < historyCount; j++) {
      const id = history[j];
      if (id < V) { const l = logits[id]; work[id] = l > 0 ? f(l / rp) : f(l * rp); }
    }
  }
  let arg = 0;
  for (let i = 1; i < V; i++) if (work[i] > work[arg]) arg = i;
  if (o.temperature <= 0 || o.topK === 1) return arg;

  const invT = f(1 / f(o.temperature));
  const zMax = f(work[arg] * invT);
  const keys = new Uint32Array(V);
  const e = new Float32Array(V);
  for (let i = 0; i < V; i++) {
    const z = f(work[i] * invT);
    keys[i] = orderKey(z);
    e[i] = f(Math.exp(f(z - zMax)));
  }
  // Per-slice sequential f32 sums, then thread 0's sequential sum of the partials (as on the GPU).
  // Slices past ceil(V / S) are empty: their partial is 0 and adding 0 leaves an f32 sum unchanged.
  const used = Math.ceil(V / S);
  const parts = new Float32Array(WG);
  const massWhere = (minKey: number): { total: number; parts: Float32Array } => {
    for (let t = 0; t < used; t++) {
      const [b0, b1] = slice(t);
      let s = 0;
      for (let i = b0; i < b1; i++) if (keys[i] >= minKey) s = f(s + e[i]);
      parts[t] = s;
    }
    let total = 0;
    for (let t = 0; t < used; t++) total = f(total + parts[t]);
    return { total, parts };
  };

  let kth = 0;
  if (o.topK > 0 && o.topK < V) {
    let T = 0;
    for (let bit = 0; bit < 32; bit++) {
      const cand = (T | (0x80000000 >>> bit)) >>> 0;
      let c = 0;
      for (let i = 0; i < V; i++) if (keys[i] >= cand) c++;
      if (c >= o.topK) T = cand;
    }
    kth = T;
  }
  let thr = kth;
  const topP = f(o.topP);
  if (topP < 1) {
    const need = f(topP * massWhere(kth).total);
    let T = 0;
    for (let bit = 0; bit < 32; bit++) {
      const c = (T | (0x80000000 >>> bit)) >>> 0;
      if (massWhere(Math.max(c, kth)).total >= need) T = c;
    }
    thr = Math.max(T, kth);
  }
  const { total } = massWhere(thr);
  const target = f(f(sampleUniform(seed, step)) * total);
  let cum = 0;
  for (let t = 0; t < used; t++) {
    const pt = parts[t];
    if (pt > 0 && f(cum + pt) > target) {
      const [i0, i1] = slice(t);
      let c2 = cum;
      let last = -1;
      for (let i = i0; i < i1; i++) {
        if (keys[i] >= thr) {
          last = i;
          c2 = f(c2 + e[i]);
          if (c2 > target) break;
        }
      }
      return last >= 0 ? last : arg;
    }
    cum = f(cum + pt);
  }
  return arg;
}
