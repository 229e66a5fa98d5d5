// A conversation as Markdown: questions, answers and, under each answer, the sources it was given.
import type { Conversation } from './types';

export function conversationToMarkdown(conv: Conversation): string {
  const out: string[] = [`# ${escapeLine(conv.title)}`, '', `_Exported ${new Date(conv.updatedAt).toISOString()}_`, ''];
  for (const t of conv.turns) {
    if (t.role === 'user') {
      out.push(`## Q: ${escapeLine(t.content)}`, '');
      continue;
    }
    if (t.mode === 'search') out.push('_Search mode (no model loaded): best matching passages._', '');
    if (t.content) out.push(t.content.trim(), '');
    if (t.stopped) out.push('_(stopped)_', '');
    if (t.error) out.push(`_Error ${t.error.code}: ${escapeLine(t.error.message)}_`, '');
    if (t.sources?.length) {
      out.push('**Sources**', '');
      for (const s of t.sources) {
        const quote = s.text.replace(/\s+/g, ' ').trim();
        out.push(`${s.n}. ${escapeLine(s.file)}, page ${s.label || s.page}: > ${quote.length > 300 ? quote.slice(0, 299) + '…' : quote}`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

function escapeLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
