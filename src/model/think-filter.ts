// Hides reasoning blocks (<think> … </think>, as Qwen3 and other thinking models write them) from generated
// text, streaming: text is released as soon as it cannot be the start of a tag, a block's content is dropped,
// as are the newlines right after its end; an unterminated block at the end is dropped too. The answer shown
// to the user never contains a <think> block.
const OPEN = '<think>';
const CLOSE = '</think>';

/** The length of the longest suffix of `s` that is a proper prefix of `tag` (text that may become the tag). */
function partialTagSuffix(s: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) if (tag.startsWith(s.slice(s.length - n))) return n;
  return 0;
}

export class ThinkFilter {
  private buf = '';
  private inThink = false;
  private afterBlock = false;

  /** Adds generated text; returns the part of the answer that is now final. */
  push(text: string): string {
    this.buf += text;
    let out = '';
    for (;;) {
      if (this.inThink) {
        const end = this.buf.indexOf(CLOSE);
        if (end < 0) {
          this.buf = this.buf.slice(this.buf.length - partialTagSuffix(this.buf, CLOSE));
          return out;
        }
        this.buf = this.buf.slice(end + CLOSE.length);
        this.inThink = false;
        this.afterBlock = true;
      }
      if (this.afterBlock) {
        this.buf = this.buf.replace(/^\s+/, '');
        if (this.buf.length === 0) return out;
        this.afterBlock = false;
      }
      const start = this.buf.indexOf(OPEN);
      if (start >= 0) {
        out += this.buf.slice(0, start);
        this.buf = this.buf.slice(start + OPEN.length);
        this.inThink = true;
        continue;
      }
      const keep = partialTagSuffix(this.buf, OPEN);
      out += this.buf.slice(0, this.buf.length - keep);
      this.buf = this.buf.slice(this.buf.length - keep);
      return out;
    }
  }

  /** The rest at the end of generation (nothing of an unterminated block). */
  flush(): string {
    const rest = this.inThink ? '' : this.buf;
    this.buf = '';
    return rest;
  }
}

/** The whole text without its <think> blocks. */
export function stripThinking(text: string): string {
  const f = new ThinkFilter();
  return f.push(text) + f.flush();
}
