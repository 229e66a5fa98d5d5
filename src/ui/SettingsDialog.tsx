// Answer settings: temperature, top-p, max answer length, number of passages, query rewrite by the model, system prompt.
import { useEffect, useRef } from 'react';
import { DEFAULT_SYSTEM_PROMPT } from '../chat/prompt';
import { useI18n } from './i18n';
import { answerSettings } from './state/settings';
import { useObservable } from './state/observable';

export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const s = useObservable(answerSettings);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const num = (key: 'temperature' | 'topP' | 'maxAnswerTokens' | 'passages', v: string, min: number, max: number) => {
    const n = Number(v);
    if (Number.isFinite(n)) answerSettings.set({ ...s, [key]: Math.min(max, Math.max(min, n)) });
  };
  return (
    <dialog ref={ref} className="settings" onClose={onClose} aria-labelledby="settings-title">
      <form method="dialog">
        <h2 id="settings-title">{t('settings')}</h2>
        <label>
          {t('temperature')} <output>{s.temperature.toFixed(2)}</output>
          <input type="range" min={0} max={2} step={0.05} value={s.temperature} onChange={(e) => num('temperature', e.target.value, 0, 2)} />
        </label>
        <label>
          {t('topP')} <output>{s.topP.toFixed(2)}</output>
          <input type="range" min={0.05} max={1} step={0.05} value={s.topP} onChange={(e) => num('topP', e.target.value, 0.05, 1)} />
        </label>
        <label>
          {t('maxAnswer')}
          <input type="number" min={16} max={4096} value={s.maxAnswerTokens} onChange={(e) => num('maxAnswerTokens', e.target.value, 1, 4096)} data-testid="max-tokens" />
        </label>
        <label>
          {t('numPassages')}
          <input type="number" min={1} max={20} value={s.passages} onChange={(e) => num('passages', e.target.value, 1, 20)} />
        </label>
        <label>
          <input type="checkbox" checked={s.queryRewrite} onChange={(e) => answerSettings.set({ ...s, queryRewrite: e.target.checked })} data-testid="query-rewrite" />
          {t('queryRewrite')}
        </label>
        <label>
          {t('systemPrompt')}
          <textarea rows={5} value={s.systemPrompt} placeholder={DEFAULT_SYSTEM_PROMPT} onChange={(e) => answerSettings.set({ ...s, systemPrompt: e.target.value })} />
        </label>
        <button type="submit">{t('close')}</button>
      </form>
    </dialog>
  );
}
