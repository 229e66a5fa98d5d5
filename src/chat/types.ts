// Shapes shared by the chat modules and the UI.

/** A passage retrieval found (same fields as the retrieval library's search results). */
export interface Passage {
  docId: string;
  file: string;
  page: number; // 1-based physical page
  label: string; // printed page label
  score: number;
  text: string;
  start: number; // character offsets into the page text
  end: number;
}

/** A passage as numbered in one answer: [n] in the answer text refers to sources[n-1]. */
export interface CitedSource extends Passage {
  n: number;
}

export interface TurnStats {
  promptTokens: number;
  /** Prompt tokens the engine took from its KV cache (the earlier turns) instead of prefilling them. */
  reusedTokens?: number;
  generatedTokens: number;
  prefillTokS: number;
  decodeTokS: number;
  /** Why the answer ended (engine-types.ts GenerationStats.finish). */
  finish?: 'eos' | 'length' | 'context' | 'stopped';
}

/**
 * What a question could not search, by kind and how many documents: said in the UI's language (chat.ts
 * scopeNoteKey). 'reading' … 'none': why nothing was searched; 'left-*': what a searched question left out.
 */
export interface ScopeNote {
  kind: 'reading' | 'unselected' | 'none' | 'left-reading' | 'left-recognising' | 'left-keywords';
  count: number;
}

export interface ChatTurn {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** Assistant turns: the passages handed to the model (or shown, in search mode). */
  sources?: CitedSource[];
  /** 'model' = generated answer, 'search' = search mode (no model loaded): passages only. */
  mode?: 'model' | 'search';
  stopped?: boolean;
  error?: { code: string; message: string };
  /** Assistant turns: something the user should know about the answer (it ran into its token limit). */
  notice?: string;
  /** NOTHING_TO_SEARCH answers: why nothing was searched, for the UI to say in its language (error.message: English). */
  nothingSearched?: ScopeNote;
  /** Searched answers: what the search left out (documents still being read, scanned pages, vectors not computed yet). */
  leftOut?: ScopeNote;
  stats?: TurnStats;
  /**
   * Assistant turns with a model answer: the user message exactly as the model saw it (numbered sources +
   * question). Later prompts render the earlier turns from it, so their prompt starts with this turn's.
   */
  sentUserMessage?: string;
  createdAt: number;
  /**
   * When this turn last changed (an answer streams, finishes, stops); strictly increases with each change and
   * falls back to createdAt when absent. Two tabs' copies of one turn are merged by it: the newer state wins.
   */
  updatedAt?: number;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: ChatTurn[];
}
