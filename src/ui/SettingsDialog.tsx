// Answer settings: temperature, top-p, max answer length, number of passages, query rewrite by the model, system prompt.
import { useEffect, useRef } from 'react';
import { DEFAULT_SYSTEM_PROMPT } from '../chat/prompt';
import { useI18n } from './i18n';
import { NumberField } from './NumberField';
import { ANSWER_LIMITS, answerSettings } from './state/settings';
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
  const num = (key: 'temperature' | 'topP', v: string) => {
    const n = Number(v);
    const { min, max } = ANSWER_LIMITS[key];
    if (Number.isFinite(n)) answerSettings.set({ ...s, [key]: Math.min(max, Math.max(min, n)) });
  };
  return (
    <dialog ref={ref} className="settings" onClose={onClose} aria-labelledby="settings-title">
      <form method="dialog">
        <h2 id="settings-title">{t('settings')}</h2>
        <label>
          {t('temperature')} <output>{s.temperature.toFixed(2)}</output>
          <input type="range" min={ANSWER_LIMITS.temperature.min} max={ANSWER_LIMITS.temperature.max} step={0.05} value={s.temperature} onChange={(e) => num('temperature', e.target.value)} />
        </label>
        <label>
          {t('topP')} <output>{s.topP.toFixed(2)}</output>
          <input type="range" min={ANSWER_LIMITS.topP.min} max={ANSWER_LIMITS.topP.max} step={0.05} value={s.topP} onChange={(e) => num('topP', e.target.value)} />
        </label>
        <label>
          {t('maxAnswer')}
          <NumberField {...ANSWER_LIMITS.maxAnswerTokens} value={s.maxAnswerTokens} onChange={(n) => answerSettings.set({ ...answerSettings.get(), maxAnswerTokens: n })} data-testid="max-tokens" />
        </label>
        <label>
          {t('numPassages')}
          <NumberField {...ANSWER_LIMITS.passages} value={s.passages} onChange={(n) => answerSettings.set({ ...answerSettings.get(), passages: n })} data-testid="passages" />
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
