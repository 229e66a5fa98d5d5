// Asks for a PDF's password (inline form; the password stays in memory only).
import { useState } from 'react';
import { useI18n } from './i18n';

export function PasswordPrompt({ name, wrong, onSubmit }: { name: string; wrong: boolean; onSubmit: (password: string) => void }) {
  const { t } = useI18n();
  const [pw, setPw] = useState('');
  return (
    <form
      className="password-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        if (pw) onSubmit(pw);
      }}
    >
      <p role={wrong ? 'alert' : undefined}>{wrong ? t('badPassword') : t('passwordNeeded')}</p>
      <label>
        <span className="sr-only">{t('password')} — {name}</span>
        <input type="password" autoComplete="off" placeholder={t('password')} value={pw} onChange={(e) => setPw(e.target.value)} />
      </label>
      <button type="submit">{t('unlock')}</button>
    </form>
  );
}
