// Standard output for CLI commands. When stdout is a pipe, Node may still hold queued bytes when a command
// returns; process.exit() would drop them (JSON cut at 64 KiB for `cli logits … | jq`). main.ts awaits
// flushStdout() before it exits, and commands may await writeStdout() for each piece.
// A reader that goes away early (`| head`) is not an error: the process ends quietly.

/** Writes `text` and resolves once Node has handed it to the OS. */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Resolves when everything written to stdout so far has been handed to the OS (writes complete in order). */
export function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.writableLength === 0) resolve();
    else process.stdout.write('', () => resolve());
  });
}

/** Ends the process quietly when the reading side of a stdout pipe is closed (EPIPE). */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

let atLineStart = true;

/**
 * Streamed text (cli generate prints each token as it comes) written through here is tracked, so that an error line
 * written afterwards (Ctrl-C, a failure mid-answer) starts on a line of its own instead of being glued to the text.
 */
export function writeStreamed(text: string): void {
  if (text.length > 0) atLineStart = text.endsWith('\n');
  process.stdout.write(text);
}

/** '\n' when streamed text left the current line open, else ''. */
export function lineBreakIfNeeded(): string {
  return atLineStart ? '' : '\n';
}
