// An accessible progress bar (determinate when total > 0).
export function ProgressBar({ value, total, label }: { value: number; total: number; label: string }) {
  const pct = total > 0 ? Math.min(100, Math.round((value / total) * 100)) : undefined;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className={pct === undefined ? 'progress-fill indeterminate' : 'progress-fill'} style={{ width: pct === undefined ? '30%' : `${pct}%` }} />
    </div>
  );
}
