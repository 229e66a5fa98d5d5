// Two tabs (two pages of one browser context: one origin, one real IndexedDB) on the same conversation, in
// search mode: questions asked in both tabs are all kept (a save merges into the stored record), each tab
// shows the other's question without a reload once idle (BroadcastChannel), questions asked at the same time
// in both tabs are both stored, and a conversation deleted in one
// tab is not brought back by a question asked in the other. An answer another tab is still writing is shown as
// such (its Web Lock is held), and as interrupted once that tab closes.
import { expect, test, type Page } from '@playwright/test';
import { answerLockName, INTERRUPTED } from '../src/ui/services/chat';
import { addPdfs, ask, DESKTOP, hasFixtures, openApp, waitReady } from './app-helpers';

test.skip(!hasFixtures, 'shared fixtures (../shared/fixtures/pdfs) are absent');

const PDF = 'zen_of_python_corrupted.pdf';
const Q1 = 'Is beautiful better than ugly?';
const Q2 = 'What does the Zen say about namespaces?';
const Q3 = 'Is explicit better than implicit?';
const Q4 = 'Should errors pass silently?';
const Q5 = 'Is flat better than nested?';
const Q6 = 'Is readability important?';

const questionsOf = (page: Page) => page.locator('.turn.user .user-text');

/** Asks and waits until the answer is written (search mode: passages shown, no answer running). */
async function askAndWait(page: Page, question: string, answers: number): Promise<void> {
  await ask(page, question);
  await expect(page.getByTestId('answer')).toHaveCount(answers);
  await expect(page.getByTestId('answer').last()).toHaveAttribute('aria-busy', 'false');
  await expect(page.getByTestId('answer').last()).toHaveAttribute('data-mode', 'search');
  await expect(page.getByTestId('ask')).toBeVisible();
}

test('two tabs on one conversation: both tabs\' questions are kept (also asked at once) and shown in both; a deletion in one tab stays deleted', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const one = await context.newPage();
  await openApp(one);
  await addPdfs(one, [PDF]);
  await waitReady(one, PDF);
  await askAndWait(one, Q1, 1);

  // The second tab opens on the same (most recent) conversation.
  const two = await context.newPage();
  await openApp(two);
  await waitReady(two, PDF);
  await expect(questionsOf(two)).toHaveText([Q1]);

  // Tab 1 asks; the idle tab 2 shows it without a reload, with the finished answer (not the stored-while-running copy).
  await askAndWait(one, Q2, 2);
  await expect(questionsOf(two)).toHaveText([Q1, Q2]);
  await expect(two.getByTestId('answer')).toHaveCount(2);
  await expect(two.getByText(/This answer was interrupted/)).toHaveCount(0);

  // Tab 2 asks in the same conversation; tab 1 hears of it.
  await askAndWait(two, Q3, 3);
  await expect(questionsOf(two)).toHaveText([Q1, Q2, Q3]);
  await expect(questionsOf(one)).toHaveText([Q1, Q2, Q3]);

  // Stored: reloading either tab shows all three questions, one conversation with 3 questions.
  for (const page of [one, two]) {
    await page.reload();
    await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
    await expect(questionsOf(page)).toHaveText([Q1, Q2, Q3]);
    await expect(page.getByTestId('answer')).toHaveCount(3);
    await expect(page.getByTestId('conversation-select').locator('option')).toHaveCount(1);
    await expect(page.getByTestId('conversation-select').locator('option').first()).toContainText('3 questions');
  }

  // Both tabs ask at once: the two saves meet in IndexedDB (read-merge-write in one transaction); neither is lost.
  await ask(one, Q5);
  await ask(two, Q6);
  for (const page of [one, two]) {
    await expect(questionsOf(page)).toHaveCount(5);
    await expect(page.getByTestId('ask')).toBeVisible();
  }
  await one.reload();
  await expect(one.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(questionsOf(one)).toHaveCount(5);
  expect((await questionsOf(one).allTextContents()).sort()).toEqual([Q1, Q2, Q3, Q5, Q6].sort());
  await expect(one.getByTestId('answer')).toHaveCount(5);
  await expect(one.getByText(/This answer was interrupted/)).toHaveCount(0);

  // Tab 1 deletes the conversation: tab 2 (idle) shows an empty one and says why.
  await one.getByTestId('delete-conversation').click();
  await expect(questionsOf(one)).toHaveCount(0);
  await expect(two.getByTestId('deleted-elsewhere')).toHaveText(`The conversation “${Q1}” was deleted in another tab.`);
  await expect(questionsOf(two)).toHaveCount(0);
  // A question asked in tab 2 now starts a new conversation; the deleted one does not come back.
  await askAndWait(two, Q4, 1);
  await expect(two.getByTestId('deleted-elsewhere')).toHaveCount(0);
  await two.reload();
  await expect(two.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(questionsOf(two)).toHaveText([Q4]);
  await expect(two.getByTestId('conversation-select').locator('option')).toHaveCount(1);
  await expect(two.getByTestId('conversation-select').locator('option').first()).toContainText(Q4);
  // Tab 1 hears of the new conversation in its list.
  await expect(one.getByTestId('conversation-select').locator('option', { hasText: Q4 })).toHaveCount(1);

  await context.close();
});

test('an answer another tab is still writing says so, not "interrupted"; when that tab closes mid-answer it says interrupted', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  // The writing tab, at the point where the app has stored the question with its answer begun (stored as
  // interrupted until it ends) and holds the answer's Web Lock while it writes.
  const writer = await context.newPage();
  await openApp(writer);
  const question = 'What does the keeper write down every evening?';
  await writer.evaluate(async ({ question, lock, interrupted }) => {
    const now = Date.now();
    const conversation = {
      id: 'c-e2e-writing', title: question, createdAt: now, updatedAt: now,
      turns: [
        { id: 'q-e2e-writing', role: 'user', content: question, createdAt: now },
        { id: 'a-e2e-writing', role: 'assistant', content: 'The keeper writes', createdAt: now, error: interrupted },
      ],
    };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('pdfchat-conversations');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction('conversations', 'readwrite');
    tx.objectStore('conversations').put(conversation, conversation.id);
    await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = () => reject(tx.error))));
    db.close();
    await new Promise<void>((taken) => void navigator.locks.request(lock, () => (taken(), new Promise(() => undefined))));
  }, { question, lock: answerLockName('a-e2e-writing'), interrupted: INTERRUPTED });

  const reader = await context.newPage();
  await openApp(reader);
  await expect(questionsOf(reader)).toHaveText([question]);
  await expect(reader.getByTestId('answering-elsewhere')).toHaveText('This answer is still being written in another tab. It appears here when it is finished.');
  await expect(reader.getByTestId('answer')).toHaveAttribute('aria-busy', 'true');
  await expect(reader.getByText(/This answer was interrupted/)).toHaveCount(0);

  // The writing tab closes mid-answer: the browser lets its lock go, and the answer is shown as interrupted.
  await writer.close();
  await expect(reader.getByTestId('answering-elsewhere')).toHaveCount(0);
  await expect(reader.getByText(/This answer was interrupted/)).toBeVisible();
  await expect(reader.getByTestId('answer')).toHaveAttribute('aria-busy', 'false');
  await context.close();
});
