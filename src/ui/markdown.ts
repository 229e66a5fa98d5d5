// Model output → safe DOM: Markdown rendered by marked, sanitised by DOMPurify (no script, no event
// handlers, no images or styles that could fetch from the network), then citation markers [n] turned into
// buttons. Text from PDFs is never rendered as HTML at all (React text nodes).
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { splitCitations } from '../chat/citations';

const PURIFY_CONFIG = {
  RETURN_DOM_FRAGMENT: true as const,
  FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'src', 'action', 'formaction'],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
};

export function renderAnswer(markdown: string, sourceCount: number, citeLabel: (n: number) => string): DocumentFragment {
  const html = marked.parse(markdown, { async: false, gfm: true, breaks: true }) as string;
  const frag = DOMPurify.sanitize(html, { ...PURIFY_CONFIG, FORBID_TAGS: [...PURIFY_CONFIG.FORBID_TAGS], FORBID_ATTR: [...PURIFY_CONFIG.FORBID_ATTR] });
  for (const a of frag.querySelectorAll('a')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  }
  linkCitations(frag, sourceCount, citeLabel);
  return frag;
}

/** Replaces "[n]" in text nodes (outside code) with <button class="cite" data-cite="n">. */
function linkCitations(root: DocumentFragment, sourceCount: number, citeLabel: (n: number) => string): void {
  if (sourceCount === 0) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!(n.parentElement?.closest('code, pre, a'))) texts.push(n as Text);
  }
  for (const node of texts) {
    const pieces = splitCitations(node.data, sourceCount);
    if (!pieces.some((p) => p.kind === 'cite')) continue;
    const out = document.createDocumentFragment();
    for (const p of pieces) {
      if (p.kind === 'text') out.append(p.text);
      else {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'cite';
        b.dataset.cite = String(p.n);
        b.textContent = `[${p.n}]`;
        b.title = citeLabel(p.n);
        b.setAttribute('aria-label', citeLabel(p.n));
        out.append(b);
      }
    }
    node.replaceWith(out);
  }
}
