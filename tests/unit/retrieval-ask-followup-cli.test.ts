// `cli ask --question Q1 --question Q2 --json` in search mode retrieves the follow-up as the app does: the first
// turn's shown passages become its sources, so the follow-up gets their pages as a topic prior (topic-prior.ts).
// On a small PDF written by the test: the follow-up's answer is on the page after the one the first question
// finds, and asked alone the follow-up's words point at another page.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildPdf, bodyLines } from './pdf-helpers';
import { makeTempDir } from '../temp-dir';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = makeTempDir('pdfchat-ask-followup-');
const emptyCache = makeTempDir('pdfchat-no-models-');

const filler = (topic: string) => Array.from({ length: 6 }, (_, i) => `${topic} is described here in some detail, part ${i + 1} of the chapter.`);
const pages = [
  ['Graphics parameters', 'The par() function sets parameters such as the line type lty and the colour col', 'for every later plot on the current device.', ...filler('Plot layout')],
  ['Calling par(col=4, lty=2) returns a list, so oldpar <- par(col=4, lty=2) keeps the old', 'settings and par(oldpar) restores them after plotting.', ...filler('Plot layout')],
  ['Data import', ...filler('Reading tables from files')],
  ['Loops', ...filler('Looping over vectors')],
  ['Strings', ...filler('Pasting strings together')],
  ['Editor settings', 'Font settings, tab settings, margin settings and colour settings of the editor.', 'The editor settings are kept in a settings file.', ...filler('The editor window')],
  ['Printing', 'Reports are printed with the print command.', ...filler('The printer dialog')],
  ['Packages', ...filler('Installing packages')],
];
const pdf = join(dir, 'manual.pdf');
writeFileSync(pdf, buildPdf({ pages: pages.map((lines) => ({ lines: bodyLines(lines) })) }));

function ask(questions: string[], extra: string[] = []): Promise<{ turns: { question: string; results: { page: number }[] }[]; warnings: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts', 'ask', '--pdf', pdf, ...questions.flatMap((q) => ['--question', q]), ...extra, '--json'],
      { cwd: repo, env: { ...process.env, PDFCHAT_MODEL_CACHE: emptyCache }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    );
  });
}

describe('cli ask: a follow-up in search mode', () => {
  const first = 'How do I change the line type and colour for every later plot?';
  const followUp = 'Does it hand back the previous settings?';

  it("ranks the page next to the first turn's page above the one the follow-up's own words point at", async () => {
    const alone = await ask([followUp]);
    expect(alone.turns[0].results[0].page).toBe(6); // "settings" four times on the editor page
    const conversation = await ask([first, followUp]);
    expect(conversation.turns[0].results[0].page).toBe(1);
    expect(conversation.turns[1].question).toBe(followUp);
    const pagesOf = conversation.turns[1].results.map((r) => r.page);
    expect(pagesOf.indexOf(2)).toBeGreaterThanOrEqual(0);
    expect(pagesOf.indexOf(2)).toBeLessThan(pagesOf.indexOf(6) === -1 ? Infinity : pagesOf.indexOf(6));
  });
});

describe('cli ask: flags for a model without --model', () => {
  it('--max-tokens and --temperature say they have no effect in search mode', async () => {
    const out = await ask(['How do I change the line type?'], ['--max-tokens', '16', '--temperature', '0.5']);
    expect(out.warnings).toContain('--max-tokens applies to a model\'s answer: without --model it has no effect (search mode).');
    expect(out.warnings).toContain('--temperature applies to a model\'s answer: without --model it has no effect (search mode).');
  });
});
