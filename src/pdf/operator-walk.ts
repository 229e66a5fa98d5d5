// One walk over a pdf.js operator list that follows the graphics state a painting operator is drawn with: the
// current transform (q/Q, cm, form XObjects' matrices) and the line width, saved and restored with it. Used to
// place what a page paints: its images (image-coverage.ts, ocr.ts's rendering resolution) and everything it paints
// (blank-page.ts).
import type { Pdfjs } from './pdfjs-env';
import { multiply, type Matrix } from './positioned-text';

export interface GraphicsState {
  /** User space → page space, as a PDF matrix [a b c d e f]; NaN throughout after a matrix that is not six numbers. */
  ctm: Matrix;
  lineWidth: number;
}

const POISONED: Matrix = [NaN, NaN, NaN, NaN, NaN, NaN];

/** Whether every entry of a matrix is a finite number (not the poisoned matrix a malformed cm leaves). */
export function isFiniteMatrix(m: Matrix): boolean {
  return m.every(Number.isFinite);
}

function asMatrix(v: unknown): Matrix {
  if (v === null || typeof v !== 'object' || (v as ArrayLike<unknown>).length !== 6) return POISONED;
  const m = Array.from(v as ArrayLike<unknown>, Number) as Matrix;
  return isFiniteMatrix(m) ? m : POISONED;
}

/**
 * Calls `visit` for every operator of the list, with the graphics state in force once the operator has taken
 * effect (a cm or a form's matrix is applied before its own visit; a form's null matrix is the identity). `visit`
 * returning false ends the walk.
 */
export function walkOperators(
  fnArray: ArrayLike<number>,
  argsArray: ArrayLike<unknown>,
  ops: Pdfjs['OPS'],
  visit: (fn: number, args: unknown[] | null | undefined, state: Readonly<GraphicsState>) => boolean | void,
): void {
  let state: GraphicsState = { ctm: [1, 0, 0, 1, 0, 0], lineWidth: 1 };
  const stack: GraphicsState[] = [];
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = argsArray[i] as unknown[] | null | undefined;
    if (fn === ops.save) stack.push(state);
    else if (fn === ops.restore || fn === ops.paintFormXObjectEnd) state = stack.pop() ?? state;
    else if (fn === ops.transform) state = { ...state, ctm: multiply(state.ctm, asMatrix(args)) };
    else if (fn === ops.paintFormXObjectBegin) {
      stack.push(state);
      const m = args?.[0];
      if (m !== null && m !== undefined) state = { ...state, ctm: multiply(state.ctm, asMatrix(m)) };
    } else if (fn === ops.setLineWidth) {
      const w = args?.[0];
      state = { ...state, lineWidth: typeof w === 'number' && Number.isFinite(w) ? Math.abs(w) : 1 };
    }
    if (visit(fn, args, state) === false) return;
  }
}
