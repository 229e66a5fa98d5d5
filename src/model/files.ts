// A model directory in Hugging Face layout, wherever its bytes live (a folder on disk in Node, Cache
// Storage / OPFS / a user-picked folder in the browser). The model code never fetches: the store hands it
// one of these.
export interface ModelFiles {
  /** Relative file names present, e.g. ['config.json', 'model.safetensors', ...]. */
  list(): Promise<string[]>;
  /** Size in bytes; throws AppError MISSING_FILE when absent. */
  size(name: string): Promise<number>;
  /** Bytes [start, end) of a file (whole file when omitted); throws MISSING_FILE when absent. */
  read(name: string, start?: number, end?: number): Promise<Uint8Array>;
}
