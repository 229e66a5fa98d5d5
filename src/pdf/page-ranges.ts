/** [2,3,4,7,9,10] → "2–4, 7, 9–10" (for warnings). */
export function formatPageRanges(pages: number[]): string {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** "Page 2 has" / "Pages 2–4, 7 have": the subject of a warning sentence. */
export function pagesSubject(pages: number[]): string {
  return pages.length === 1 ? `Page ${pages[0]} has` : `Pages ${formatPageRanges(pages)} have`;
}
