// Overall progress of a download made of several files of several models (the semantic-search switch loads
// two embedding models, each a few files): bytes loaded of every file so far over the total bytes of the
// files whose size is known so far. transformers.js reports progress per file; this adds the files up, so the
// bar does not start again at 0 for each file or model. Nothing is guessed: while any file that has started
// has no known size, the total is 0 (unknown) and the bar is indeterminate.
import type { Progress } from '../../shared/progress';

export class DownloadTally {
  /** Latest progress per "model/file". */
  private readonly files = new Map<string, { loaded: number; total: number }>();
  private lastFile: string | undefined;

  /** Records one file's progress report (`progress.file` names the file within the model). */
  record(modelId: string, progress: Progress): void {
    const key = `${modelId}/${progress.file ?? ''}`;
    const prev = this.files.get(key);
    // Reports of one file only grow; a late, smaller one (reordered) does not move the bar back.
    const loaded = Math.max(prev?.loaded ?? 0, progress.loaded);
    const total = progress.total > 0 ? progress.total : (prev?.total ?? 0);
    this.files.set(key, { loaded, total });
    this.lastFile = key;
  }

  /** Bytes over all files so far; `file` is the one that reported last; total 0 when some size is unknown. */
  overall(): Progress {
    let loaded = 0;
    let total = 0;
    let unknown = false;
    for (const f of this.files.values()) {
      loaded += f.loaded;
      total += f.total;
      if (f.total <= 0) unknown = true;
    }
    return { phase: 'download', loaded, total: unknown ? 0 : total, ...(this.lastFile ? { file: this.lastFile } : {}) };
  }
}
