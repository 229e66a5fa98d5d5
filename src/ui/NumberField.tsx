// A number input for a setting that must stay within [min, max]. What the user types is kept as typed (a
// cleared field, or "5" on the way to "512"), and the setting changes only when the text is a whole/decimal
// number within the limits; on leaving the field (or when the owner says so) an out-of-range or empty entry goes
// back to the setting's value. Writing every keystroke through a clamp used to turn a cleared "256" into "1",
// and the next keys into "1512".
import { useEffect, useState } from 'react';

/** The setting value `text` stands for, or null when it is not (yet) one: empty, not a number, outside [min, max]. */
export function parseSetting(text: string, min: number, max: number, integer: boolean): number | null {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n < min || n > max) return null;
  if (integer && !Number.isInteger(n)) return null;
  return n;
}

interface Props {
  value: number;
  min: number;
  max: number;
  integer?: boolean;
  onChange(value: number): void;
  'data-testid'?: string;
}

export function NumberField({ value, min, max, integer = true, onChange, ...rest }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  // The setting changed elsewhere (another control, a reload): show it.
  useEffect(() => setDraft(null), [value]);
  return (
    <input
      type="number"
      min={min}
      max={max}
      step={integer ? 1 : 'any'}
      value={draft ?? String(value)}
      aria-invalid={draft !== null && parseSetting(draft, min, max, integer) === null}
      onChange={(e) => {
        const text = e.target.value;
        const n = parseSetting(text, min, max, integer);
        if (n !== null && n !== value) onChange(n);
        setDraft(text);
      }}
      onBlur={() => setDraft(null)}
      data-testid={rest['data-testid']}
    />
  );
}
