// A conversation as Markdown: questions, answers and, under each answer, the sources it was given. Everything
// that is the user's or the documents' text (title, questions, error messages, page labels, file names, quotes) is
// escaped so that it stays text; the model's answer is Markdown already and goes in as written.
import type { Conversation } from './types';

export function conversationToMarkdown(conv: Conversation): string {
  const out: string[] = [`# ${escapeInline(conv.title)}`, '', `_Exported ${new Date(conv.updatedAt).toISOString()}_`, ''];
  for (const t of conv.turns) {
    if (t.role === 'user') {
      // The first line heads the question; further lines follow as typed (line breaks kept).
      const [first = '', ...rest] = t.content.trim().split(/\r?\n/);
      out.push(`## Q: ${escapeInline(first)}`, '');
      const more = rest.map((l) => l.trim()).filter(Boolean);
      if (more.length) out.push(...more.map((l, i) => escapeInline(l) + (i < more.length - 1 ? '  ' : '')), '');
      continue;
    }
    if (t.mode === 'search') out.push('_Search mode (no model loaded): best matching passages._', '');
    if (t.content) out.push(t.content.trim(), '');
    if (t.stopped) out.push('_(stopped)_', '');
    if (t.error) out.push(`_Error ${escapeInline(t.error.code)}: ${escapeInline(t.error.message)}_`, '');
    if (t.sources?.length) {
      out.push('**Sources**', '');
      for (const s of t.sources) {
        // Cut by code points: a cut inside a surrogate pair (an emoji, an Extension B character) is not text.
        const quote = [...s.text.replace(/\s+/g, ' ').trim()];
        out.push(`${s.n}. ${escapeInline(s.file)}, page ${escapeInline(s.label || String(s.page))}: > ${escapeInline(quote.length > 300 ? quote.slice(0, 299).join('') + '…' : quote.join(''))}`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

function escapeLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * One line of the document's or the user's text, mid-line, with what Markdown would read as syntax escaped so
 * that it stays text: emphasis and code marks, link brackets, HTML tags, table pipes, strikethrough — and an
 * underscore only where it could open or close emphasis (not inside a word: `my_notes.pdf` stays as it is).
 */
function escapeInline(s: string): string {
  return escapeLine(s)
    .replace(/[\\`*[\]<>|~]/g, '\\$&')
    .replace(/_/g, (u, i: number, t: string) => (/[\p{L}\p{N}]/u.test(t[i - 1] ?? '') && /[\p{L}\p{N}]/u.test(t[i + 1] ?? '') ? u : '\\_'));
}
