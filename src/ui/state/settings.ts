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

export const answerSettings = new Observable<AnswerSettings>(read(ANSWER_KEY, DEFAULT_ANSWER_SETTINGS));
answerSettings.subscribe(() => localStorage.setItem(ANSWER_KEY, JSON.stringify(answerSettings.get())));

export const hubSetting = new Observable<HubSetting>(read(HUB_KEY, { endpoint: DEFAULT_HUB_ENDPOINT, token: '' }));
hubSetting.subscribe(() => localStorage.setItem(HUB_KEY, JSON.stringify(hubSetting.get())));
