// CLI entry: `npm run --silent cli -- <command> [--flags]`. Each command lives in its own module under
// src/cli/commands/ and exports `run(args: CliArgs): Promise<void>`. Errors print ONE JSON object
// {"error": {"code", "message"}} to stdout and exit with status 2; Ctrl-C prints code ABORTED and exits with 130
// after removing the command's temporary files (interrupt.ts).
import { AppError } from '../shared/errors';
import { parseArgs, type CliArgs } from './args';
import { handleInterrupts } from './interrupt';
import { exitQuietlyOnClosedPipe, flushStdout, lineBreakIfNeeded, writeStdout } from './output';

type Command = { run(args: CliArgs): Promise<void> };

const commands: Record<string, () => Promise<Command>> = {
  'convert-llama2c': () => import('./commands/convert-llama2c'),
  generate: () => import('./commands/generate'),
  logits: () => import('./commands/logits'),
  bench: () => import('./commands/bench'),
  extract: () => import('./commands/extract'),
  ask: () => import('./commands/ask'),
};

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || !(name in commands)) {
    throw new AppError('BAD_ARGUMENT', `Unknown command ${JSON.stringify(name ?? '')}. Commands: ${Object.keys(commands).join(', ')}.`);
  }
  const cmd = await commands[name]();
  await cmd.run(parseArgs(rest));
}

// Every exit waits for stdout to drain first (see output.ts): process.exit() drops what a pipe has not taken.
// Exiting explicitly (rather than letting the event loop run dry) ends the process even when a GPU device or
// a worker still holds a handle.
exitQuietlyOnClosedPipe();
handleInterrupts();
main().then(
  async () => {
    await flushStdout();
    // A command that printed its output and still failed in part (cli ask: a question that could not be answered)
    // sets process.exitCode.
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  },
  async (e) => {
    const err = AppError.from(e);
    await writeStdout(lineBreakIfNeeded() + JSON.stringify({ error: { code: err.code, message: err.message } }) + '\n').catch(() => undefined);
    if (err.code === 'INTERNAL' && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    await flushStdout();
    process.exit(2);
  },
);
