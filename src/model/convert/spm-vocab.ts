// Builds a Hugging Face tokenizer.json (+ tokenizer_config.json) for a SentencePiece-style BPE vocabulary
// (pieces + scores + types, as in llama2.c's tokenizer.bin or a GGUF "llama" vocab) that tokenizes like
// llama.cpp / SentencePiece: ▁ for spaces with a prefix space, merges ordered by the score of the merged
// piece (highest first), byte fallback to <0xXX> tokens for characters not in the vocabulary.

/** SentencePiece / GGUF token types. */
export const SpmTokenType = { Normal: 1, Unknown: 2, Control: 3, UserDefined: 4, Unused: 5, Byte: 6 } as const;
export type SpmTokenType = (typeof SpmTokenType)[keyof typeof SpmTokenType];

export interface SpmVocab {
  /** Pieces with U+2581 for spaces, byte tokens as "<0xXX>". */
  pieces: string[];
  scores: number[];
  types: SpmTokenType[];
  unkId: number;
  bosId: number;
  eosId: number;
}

export const SPACE = '\u2581';

/** Pairs (left, right) of vocabulary pieces whose concatenation is a piece, most preferred merge first. */
export function mergesFromScores(v: SpmVocab): [string, string][] {
  const id = new Map<string, number>();
  v.pieces.forEach((p, i) => {
    if (v.types[i] === SpmTokenType.Normal || v.types[i] === SpmTokenType.UserDefined) {
      if (!id.has(p)) id.set(p, i);
    }
  });
  const merges: { left: string; right: string; score: number; piece: number; leftId: number }[] = [];
  for (const [piece, pid] of id) {
    const chars = Array.from(piece);
    if (chars.length < 2) continue;
    for (let cut = 1; cut < chars.length; cut++) {
      const left = chars.slice(0, cut).join('');
      const right = chars.slice(cut).join('');
      const l = id.get(left);
      if (l === undefined || !id.has(right)) continue;
      merges.push({ left, right, score: v.scores[pid], piece: pid, leftId: l });
    }
  }
  merges.sort((a, b) => b.score - a.score || a.piece - b.piece || a.leftId - b.leftId);
  return merges.map((m) => [m.left, m.right]);
}

export interface SpmTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfigJson: Record<string, unknown>;
}

export function buildSpmTokenizer(v: SpmVocab, opts: { addBos?: boolean; modelMaxLength?: number; chatTemplate?: string } = {}): SpmTokenizerFiles {
  const addBos = opts.addBos ?? true;
  const vocab: Record<string, number> = {};
  v.pieces.forEach((p, i) => {
    if (!(p in vocab)) vocab[p] = i;
  });
  const special = (i: number) => ({ id: i, content: v.pieces[i], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const addedIds = [...new Set([v.unkId, v.bosId, v.eosId])].sort((a, b) => a - b);
  for (let i = 0; i < v.pieces.length; i++) if (v.types[i] === SpmTokenType.Control && !addedIds.includes(i)) addedIds.push(i);
  const bos = v.pieces[v.bosId];
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedIds.map(special),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: SPACE },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [...(addBos ? [{ SpecialToken: { id: bos, type_id: 0 } }] : []), { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        ...(addBos ? [{ SpecialToken: { id: bos, type_id: 0 } }] : []),
        { Sequence: { id: 'A', type_id: 0 } },
        ...(addBos ? [{ SpecialToken: { id: bos, type_id: 1 } }] : []),
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: addBos ? { [bos]: { id: bos, ids: [v.bosId], tokens: [bos] } } : {},
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: v.pieces[v.unkId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: mergesFromScores(v),
    },
  };
  const tokenizerConfigJson: Record<string, unknown> = {
    tokenizer_class: 'LlamaTokenizer',
    add_bos_token: addBos,
    add_eos_token: false,
    bos_token: bos,
    eos_token: v.pieces[v.eosId],
    unk_token: v.pieces[v.unkId],
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: opts.modelMaxLength ?? 2048,
  };
  if (opts.chatTemplate) tokenizerConfigJson.chat_template = opts.chatTemplate;
  return { tokenizerJson, tokenizerConfigJson };
}
