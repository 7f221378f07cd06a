// The core flows from the keyboard alone: Tab / Shift+Tab / Enter / Space /
// typing, no mouse, no page.goto after signing in, with a visible focus
// indicator on every control reached. Set-up (a negotiation with a seat for
// the person) goes through the API; everything the person does is keys.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE, PASSWORD, launch, person, api, unique, tabTo } from './lib/harness.mjs';

let browser;
let mediator;
let signatory;
let negotiation;
const run = unique('kb');
const signatoryEmail = `ua-${run}@e2e.accord.invalid`;

before(async () => {
  browser = await launch();
  mediator = await person(browser, 'kb-mediator');
  signatory = await person(browser, 'kb-signatory');
  const mediatorEmail = `us-${run}@e2e.accord.invalid`;
  for (const [p, email, name] of [
    [mediator, mediatorEmail, 'Keyboard Mediator'],
    [signatory, signatoryEmail, 'Keyboard Signatory'],
  ]) {
    const created = await p.context.request.post(`${BASE}/api/accounts`, { data: { email, password: PASSWORD, display_name: name } });
    assert.ok(created.status() < 300, await created.text());
  }
  const session = await mediator.context.request.post(`${BASE}/api/sessions`, { data: { email: mediatorEmail, password: PASSWORD } });
  assert.equal(session.status(), 200);
  await mediator.page.goto('/');
  const example = readFileSync(new URL('../examples/peace-framework.toml', import.meta.url), 'utf8');
  const created = await api(mediator, 'POST', '/api/negotiations', { scenario_toml: example, timetable_from: new Date().toISOString() });
  negotiation = created.json.id;
  let view = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
  assert.ok((await api(mediator, 'POST', `/api/negotiations/${negotiation}/versions`, {}, view.json.log_size)).status < 300);
  view = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
  const invitation = await api(mediator, 'POST', `/api/negotiations/${negotiation}/invitations`, { party: 'ua' }, view.json.log_size);
  signatory.invitation = invitation.json.token;
  // The signatory accepts through the API too: joining is covered by the scenario.
  const s = await signatory.context.request.post(`${BASE}/api/sessions`, { data: { email: signatoryEmail, password: PASSWORD } });
  const csrf = (await s.json()).csrf_token;
  const accepted = await signatory.context.request.post(`${BASE}/api/negotiations/${negotiation}/invitations/accept`, {
    data: { token: signatory.invitation },
    headers: { 'x-csrf-token': csrf },
  });
  assert.ok(accepted.status() < 300, await accepted.text());
  await signatory.context.clearCookies();
});

after(async () => {
  await browser?.close();
});

test('sign in from the keyboard', async () => {
  const { page } = signatory;
  await page.goto('/signin');
  await tabTo(page, 'input[name="email"]');
  await page.keyboard.type(signatoryEmail);
  await tabTo(page, 'input[name="password"]');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.keyboard.press('Enter')]);
});

test('reach the negotiation and its members page from the keyboard, and make a key there', async () => {
  const { page } = signatory;
  await tabTo(page, `a[href="/n/${negotiation}"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}$`)), page.keyboard.press('Enter')]);
  await tabTo(page, `nav.negotiation a[href="/n/${negotiation}/members"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/members$`)), page.keyboard.press('Enter')]);
  await page.locator('#key-passphrase').waitFor();
  await tabTo(page, '#key-passphrase');
  await page.keyboard.type(`keyboard passphrase ${run}`);
  await tabTo(page, '#key-passphrase-repeat');
  await page.keyboard.type(`keyboard passphrase ${run}`);
  await page.keyboard.press('Enter');
  await page.locator('#key-message', { hasText: /registered key/i }).waitFor({ timeout: 30_000 });
  const keys = await api(signatory, 'GET', `/api/negotiations/${negotiation}/keys`);
  assert.ok(keys.json.some((k) => k.party === 'ua' && k.current));
  signatory.assertClean();
});

test('record a stance with a reason on the text page from the keyboard', async () => {
  const { page } = signatory;
  const reason = `Keyboard reason ${run}`;
  await tabTo(page, `nav.negotiation a[href="/n/${negotiation}/text"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/text$`)), page.keyboard.press('Enter')]);
  const form = `form.stance-form[data-provision="art-1"]`;
  // Tab enters the radio group once (on the checked radio, or the first when none is).
  await tabTo(page, `${form} input[name="position"]`);
  const checked = () => page.evaluate((form) => document.querySelector(`${form} input[name="position"]:checked`)?.value ?? null, form);
  if ((await checked()) === null) await page.keyboard.press('Space');
  assert.notEqual(await checked(), null, 'Space did not select the focused radio button');
  // Arrow keys move the choice within the group.
  for (let i = 0; i < 3 && (await checked()) !== 'unacceptable'; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await checked(), 'unacceptable');
  assert.equal(await page.evaluate(() => document.activeElement.value), 'unacceptable', 'the focus did not follow the arrow keys');
  await tabTo(page, `${form} textarea[name="reason"]`);
  await page.keyboard.type(reason);
  await tabTo(page, `${form} button[type="submit"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/text#p-art-1$`)), page.keyboard.press('Space')]);
  assert.equal(await page.locator('#form-errors').count(), 0, await page.locator('#form-errors').allTextContents().then((t) => t.join(' ')));
  await page.locator('section#p-art-1 h3 .badge.unacceptable').waitFor();
  const stances = (await api(signatory, 'GET', `/api/negotiations/${negotiation}/stances`)).json.stances;
  const mine = stances.find((s) => s.party === 'ua' && s.provision === 'art-1');
  assert.equal(mine?.position, 'unacceptable', JSON.stringify(mine));
  assert.equal(mine.detail?.reason, reason);
  signatory.assertClean();
});

test('acknowledge the released version on its page from the keyboard', async () => {
  const { page } = signatory;
  await tabTo(page, `nav.negotiation a[href="/n/${negotiation}/versions"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/versions$`)), page.keyboard.press('Enter')]);
  await tabTo(page, `#versions a[href="/n/${negotiation}/versions/1"]`);
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/versions/1$`)), page.keyboard.press('Enter')]);
  // sign.js shows the button once it knows the browser can sign.
  const button = page.locator('button[data-action="acknowledge"][data-version="1"]');
  await button.waitFor({ state: 'visible' });
  await tabTo(page, 'button[data-action="acknowledge"][data-version="1"]');
  // The key made on the members page is in this browser (IndexedDB, not extractable): no passphrase is asked.
  await page.keyboard.press('Enter');
  await page.locator('[data-status="acknowledge-1"]', { hasText: /Acknowledged version 1/ }).waitFor({ timeout: 30_000 });
  const engagement = (await api(mediator, 'GET', `/api/negotiations/${negotiation}/engagement`)).json;
  const record = engagement.find((v) => v.number === 1);
  assert.ok(record?.parties.find((p) => p.party === 'ua')?.acknowledged, JSON.stringify(record));
  signatory.assertClean();
});
