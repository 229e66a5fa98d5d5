// Ctrl-C (SIGINT) and SIGTERM for the CLI. Long work here (weights, shader compiles, llama.cpp's first run) does
// not stop at a signal check on its own, so an interrupt ends the process at once: the temporary files a command
// registered with removeOnExit() are deleted, the one error line {"error": {"code": "ABORTED", …}} is written to
// stdout (like every CLI error) and the exit status is 130, the shell's code for an interrupt.
import { rmSync, writeSync } from 'node:fs';
import { lineBreakIfNeeded } from './output';

const paths = new Set<string>();

/** Deletes `path` (a temporary file or folder) when the process ends for any reason; the returned function forgets it. */
export function removeOnExit(path: string): () => void {
  paths.add(path);
  return () => void paths.delete(path);
}

function removeAll(): void {
  for (const p of paths) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  paths.clear();
}

/** Installs the handlers (once, from main.ts). */
export function handleInterrupts(): void {
  process.on('exit', removeAll);
  const stop = (signal: NodeJS.Signals) => {
    removeAll();
    const what = signal === 'SIGINT' ? 'Interrupted (Ctrl-C)' : `Stopped (${signal})`;
    try {
      writeSync(1, lineBreakIfNeeded() + JSON.stringify({ error: { code: 'ABORTED', message: `${what}: nothing was finished; temporary files were removed. Run the command again to redo it.` } }) + '\n');
    } catch {
      // stdout already closed
    }
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
