// AcroForm values and free-text annotations: pdf.js leaves them out of getTextContent, so we read them from
// getAnnotations() and place them where they sit on the page (a value lands next to its printed label).
import { placeRun, type Matrix, type PositionedRun } from './positioned-text';

/** The subset of pdf.js annotation data we read (pdf.js types annotations as `any`). */
export interface AnnotationData {
  subtype?: string;
  rect?: number[];
  hidden?: boolean;
  fieldType?: string; // 'Tx' | 'Btn' | 'Ch' | 'Sig'
  fieldValue?: unknown;
  checkBox?: boolean;
  radioButton?: boolean;
  pushButton?: boolean;
  exportValue?: string;
  buttonValue?: string;
  options?: Array<{ exportValue?: string; displayValue?: string }>;
  contentsObj?: { str?: string };
  textContent?: string[];
  defaultAppearanceData?: { fontSize?: number };
}

/** The text a reader sees for one annotation, or null when it shows nothing useful. */
export function annotationText(a: AnnotationData): string | null {
  if (a.hidden) return null;
  if (a.subtype === 'FreeText') {
    const s = (a.textContent?.join(' ') || a.contentsObj?.str || '').trim();
    return s || null;
  }
  if (a.subtype !== 'Widget') return null;
  switch (a.fieldType) {
    case 'Tx': {
      const v = typeof a.fieldValue === 'string' ? a.fieldValue : Array.isArray(a.fieldValue) ? a.fieldValue.join(' ') : '';
      const s = v.replace(/\s+/g, ' ').trim();
      return s || null;
    }
    case 'Ch': {
      const values = (Array.isArray(a.fieldValue) ? a.fieldValue : [a.fieldValue]).filter((v): v is string => typeof v === 'string' && v !== '');
      const shown = values.map((v) => a.options?.find((o) => o.exportValue === v)?.displayValue || v);
      return shown.length > 0 ? shown.join(', ') : null;
    }
    case 'Btn': {
      if (a.pushButton) return null;
      if (a.checkBox) {
        const on = typeof a.fieldValue === 'string' && a.fieldValue !== 'Off' && a.fieldValue !== '' && (!a.exportValue || a.fieldValue === a.exportValue);
        return on ? '[x]' : '[ ]';
      }
      if (a.radioButton) return a.fieldValue === a.buttonValue ? '(x)' : '( )';
      return null;
    }
    default:
      return null;
  }
}

/** Annotations of one page → positioned runs, in the same frame as the page's text runs. */
export function runsFromAnnotations(annotations: ReadonlyArray<AnnotationData>, viewportTransform: Matrix, firstOrder: number): PositionedRun[] {
  const runs: PositionedRun[] = [];
  for (const a of annotations) {
    const text = annotationText(a);
    if (!text || !a.rect || a.rect.length !== 4) continue;
    const [x0, y0, x1, y1] = a.rect;
    const height = Math.abs(y1 - y0);
    const size = Math.min(a.defaultAppearanceData?.fontSize || 10, Math.max(height, 4)) || 10;
    // Single-line fields: baseline a little below the vertical centre; tall boxes: first line near the top.
    const baseline = height > 2.5 * size ? Math.max(y0, y1) - 1.1 * size : (y0 + y1) / 2 - 0.3 * size;
    const width = Math.min(Math.abs(x1 - x0), text.length * 0.5 * size);
    const run = placeRun(text, [size, 0, 0, size, Math.min(x0, x1) + 2, baseline], width, viewportTransform, false, firstOrder + runs.length);
    if (run) runs.push(run);
  }
  return runs;
}
