// The acceptance point 2: `accord serve --demo` gives a populated
// negotiation in which every page works for every demo account. scripts/e2e
// starts the server under test with --demo; here each demo account signs in
// with the demo password (as the README tells a visitor) and opens every page
// of the demo negotiation in a real browser: the expected status, one main
// heading, WCAG 2.1 AA (axe-core), no script error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, signIn, assertAccessible, assertNoFormErrors } from './lib/harness.mjs';

const DEMO_PASSWORD = 'accord-demo';
const accounts = [
  { email: 'mediator@demo.accord.invalid', party: 'us', mediator: true },
  { email: 'ua@demo.accord.invalid', party: 'ua' },
  { email: 'ru@demo.accord.invalid', party: 'ru' },
  { email: 'eu@demo.accord.invalid', party: 'eu' },
  { email: 'observer@demo.accord.invalid', party: 'un' },
];
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Every page of a negotiation, with whether only the mediator may open it. */
const pagesOf = (id) => [
  [`/n/${id}`, false],
  [`/n/${id}/text`, false],
  [`/n/${id}/versions`, false],
  [`/n/${id}/versions/1`, false],
  [`/n/${id}/versions/2`, false],
  [`/n/${id}/versions/1/diff/2`, false],
  [`/n/${id}/members`, false],
  [`/n/${id}/profile`, false],
  [`/n/${id}/analysis`, true],
  [`/n/${id}/analysis/preview?package=nash`, true],
  [`/n/${id}/versions/next`, true],
  [`/n/${id}/sign`, false],
  [`/n/${id}/evidence`, false],
];

for (const account of accounts) {
  test(`demo account ${account.email}: every page of the demo negotiation works`, async () => {
    const who = await person(browser, `demo-${account.party}`);
    try {
      await signIn(who, account.email, DEMO_PASSWORD);
      await assertNoFormErrors(who.page);
      // The dashboard lists the demo negotiation with this account's seat.
      const card = who.page.locator('a[href^="/n/peace-framework-"]').first();
      await card.waitFor();
      const id = (await card.getAttribute('href')).split('/')[2];
      await assertAccessible(who.page, `${account.party}'s dashboard`);
      if (!account.mediator) who.expectedErrors.push(/status of 403 \(Forbidden\)/);
      for (const [path, mediatorOnly] of pagesOf(id)) {
        const response = await who.page.goto(path);
        const expected = mediatorOnly && !account.mediator ? 403 : 200;
        assert.equal(response.status(), expected, `${account.party} GET ${path}`);
        assert.equal(await who.page.locator('main h1').count(), 1, `${account.party} GET ${path}: one main heading`);
        await assertAccessible(who.page, `${account.party} ${path}`);
      }
      // Populated: two released versions with a change between them, provisions, an account in every seat.
      await who.page.goto(`/n/${id}/versions`);
      assert.equal(await who.page.locator('#versions tr[data-version]').count(), 2, `${account.party} sees two versions`);
      await who.page.goto(`/n/${id}/versions/1/diff/2`);
      assert.ok((await who.page.locator('section.provision.diff[data-change="changed"]').count()) >= 1, 'the demo versions differ');
      // Every seat is taken (the observer may not list the members: the API's Members route refuses it too).
      await who.page.goto(`/n/${id}/members`);
      const taken = await who.page.locator('#members tr[data-party]', { hasText: 'taken' }).count();
      assert.equal(taken, account.party === 'un' ? 0 : 5, `${account.party} sees ${taken} seats taken`);
      if (account.party !== 'un') {
        await who.page.goto(`/n/${id}/text`);
        assert.ok((await who.page.locator('section.provision').count()) >= 10, `${account.party}'s text page shows the provisions`);
      }
      who.assertClean();
    } finally {
      await who.close();
    }
  });
}
