// User settings kept in localStorage: answer settings and the hub endpoint (+ optional token).
import { DEFAULT_ANSWER_SETTINGS, type AnswerSettings } from '../../chat/answer';
import { Observable } from './observable';

export interface HubSetting {
  endpoint: string;
  token: string;
}

const ANSWER_KEY = 'pdfchat.answerSettings';
const HUB_KEY = 'pdfchat.hub';
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

function read<T extends object>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? { ...fallback, ...(JSON.parse(raw) as Partial<T>) } : fallback;
  } catch {
    return fallback;
  }
}

/** What the settings dialog lets each number be (the answer settings read back are held to the same). */
export const ANSWER_LIMITS = {
  temperature: { min: 0, max: 2, integer: false },
  topP: { min: 0.05, max: 1, integer: false },
  maxAnswerTokens: { min: 16, max: 4096, integer: true },
  passages: { min: 1, max: 20, integer: true },
} as const;

/**
 * Answer settings as stored (by this version, an older one, or edited by hand) made valid: a number outside its
 * limits is brought within them, a value of the wrong type (or a non-number) is the default.
 */
export function sanitizeAnswerSettings(stored: unknown): AnswerSettings {
  const s = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const out: AnswerSettings = { ...DEFAULT_ANSWER_SETTINGS };
  for (const [key, { min, max, integer }] of Object.entries(ANSWER_LIMITS) as Array<[keyof typeof ANSWER_LIMITS, (typeof ANSWER_LIMITS)[keyof typeof ANSWER_LIMITS]]>) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const within = Math.min(max, Math.max(min, v));
    out[key] = integer ? Math.round(within) : within;
  }
  if (typeof s.systemPrompt === 'string') out.systemPrompt = s.systemPrompt;
  if (typeof s.queryRewrite === 'boolean') out.queryRewrite = s.queryRewrite;
  return out;
}

export const answerSettings = new Observable<AnswerSettings>(sanitizeAnswerSettings(read<Partial<AnswerSettings>>(ANSWER_KEY, {})));
answerSettings.subscribe(() => localStorage.setItem(ANSWER_KEY, JSON.stringify(answerSettings.get())));

export const hubSetting = new Observable<HubSetting>(read(HUB_KEY, { endpoint: DEFAULT_HUB_ENDPOINT, token: '' }));
hubSetting.subscribe(() => localStorage.setItem(HUB_KEY, JSON.stringify(hubSetting.get())));
