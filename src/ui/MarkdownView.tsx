// Renders an answer (Markdown) safely; clicks on citation buttons call onCite(n).
import { useEffect, useRef } from 'react';
import { renderAnswer } from './markdown';

export function MarkdownView({ text, sourceCount, citeLabel, onCite }: { text: string; sourceCount: number; citeLabel: (n: number) => string; onCite: (n: number) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.replaceChildren(renderAnswer(text, sourceCount, citeLabel));
  }, [text, sourceCount, citeLabel]);
  return (
    <div
      ref={ref}
      className="markdown"
      onClick={(e) => {
        const b = (e.target as HTMLElement).closest('button.cite') as HTMLButtonElement | null;
        if (b?.dataset.cite) onCite(Number(b.dataset.cite));
      }}
    />
  );
}
