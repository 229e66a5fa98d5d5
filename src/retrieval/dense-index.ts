// Exact cosine search over unit-length embedding vectors, one block per document, tagged with the model and
// the embedding profile (embedding-profile.ts profileKey) that made them: a query vector is compared only
// with blocks of its own model AND profile, never with vectors made another way. Brute force is fast
// enough here: 300 pages ≈ 3,000 chunks × 384 dims ≈ 1.2 M multiply-adds per query.

export interface DenseHit {
  docId: string;
  chunk: number;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

interface Block {
  modelId: string;
  /** profileKey of the embedding profile the vectors were computed with. */
  profile: string;
  dim: number;
  /** Row-major [chunkCount × dim], each row L2-normalised. */
  vectors: Float32Array;
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export class DenseIndex {
  private readonly blocks = new Map<string, Block>();

  has(docId: string): boolean {
    return this.blocks.has(docId);
  }

  modelOf(docId: string): string | undefined {
    return this.blocks.get(docId)?.modelId;
  }

  /** Models used by the indexed documents (restricted to `docIds` when given). */
  models(docIds?: ReadonlySet<string>): string[] {
    const out = new Set<string>();
    for (const [id, b] of this.blocks) if (!docIds || docIds.has(id)) out.add(b.modelId);
    return [...out];
  }

  /** Documents embedded with `modelId` whose vectors come from another profile than `profile`. */
  otherProfile(modelId: string, profile: string, docIds?: ReadonlySet<string>): string[] {
    return [...this.blocks].filter(([id, b]) => b.modelId === modelId && b.profile !== profile && (!docIds || docIds.has(id))).map(([id]) => id);
  }

  /** `vectors` is [chunkCount × dim] row-major; rows are normalised here. */
  addDocument(docId: string, modelId: string, profile: string, dim: number, vectors: Float32Array): void {
    if (vectors.length % dim !== 0) throw new Error(`vector block of ${vectors.length} floats is not a multiple of dim ${dim}`);
    const rows = vectors.length / dim;
    const out = new Float32Array(vectors.length);
    for (let r = 0; r < rows; r++) out.set(normalize(vectors.subarray(r * dim, (r + 1) * dim)), r * dim);
    this.blocks.set(docId, { modelId, profile, dim, vectors: out });
  }

  removeDocument(docId: string): void {
    this.blocks.delete(docId);
  }

  /** Cosine search among documents embedded with `modelId` under `profile`; `query` need not be normalised. */
  search(modelId: string, profile: string, query: Float32Array, topK: number, docIds?: ReadonlySet<string>): DenseHit[] {
    const q = normalize(query);
    const hits: DenseHit[] = [];
    for (const [docId, b] of this.blocks) {
      if (b.modelId !== modelId || b.profile !== profile || (docIds && !docIds.has(docId))) continue;
      if (b.dim !== q.length) continue;
      const rows = b.vectors.length / b.dim;
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        const off = r * b.dim;
        for (let i = 0; i < b.dim; i++) dot += b.vectors[off + i] * q[i];
        hits.push({ docId, chunk: r, score: dot });
      }
    }
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, topK);
  }
}
