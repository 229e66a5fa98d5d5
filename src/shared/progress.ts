/** Progress of long work (downloads, loading, indexing). `total` may be 0 when unknown. */
export interface Progress {
  phase: string; // e.g. 'download', 'load', 'upload', 'extract', 'embed'
  loaded: number;
  total: number;
  file?: string;
  message?: string;
}
export type ProgressCallback = (p: Progress) => void;
