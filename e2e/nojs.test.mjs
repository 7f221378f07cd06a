// Every page without JavaScript: browser contexts with `javaScriptEnabled:
// false`, people who sign up, sign in, read and act through plain HTML forms
// only. The issue's acceptance point: "Every page works without JavaScript
// for reading and for the form actions, except signing and live updates" —
// and where signing needs script, the page says so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, WIDE, launch, unique } from './lib/harness.mjs';

const run = unique('nojs');
let browser;
let negotiation;
const people = {
  mediator: { display: 'NoScript Mediator', email: `us-${run}@e2e.accord.invalid` },
  ua: { display: 'NoScript Signatory', email: `ua-${run}@e2e.accord.invalid`, party: 'ua' },
};
const canary = { reason: `NOJS-REASON-${run}`, comment: `NOJS-COMMENT-${run}`, note: `NOJS-NOTE-${run}` };

before(async () => {
  browser = await launch();
  for (const [key, who] of Object.entries(people)) {
    who.context = await browser.newContext({ javaScriptEnabled: false, baseURL: BASE, viewport: WIDE });
    who.page = await who.context.newPage();
    who.page.setDefaultTimeout(15_000);
    who.key = key;
    // Any script that does run is a failure of the set-up, not a page error to tolerate.
    who.page.on('pageerror', (error) => assert.fail(`${key}: a script ran and failed: ${error.message}`));
  }
});

after(async () => {
  await browser?.close();
});

/** The form problems the page shows, or '' when there are none. */
async function formErrors(page) {
  return (await page.locator('#form-errors').count()) ? (await page.locator('#form-errors').textContent()).trim() : '';
}

/**
 * Submits a form by clicking its submit button (no script: the browser posts
 * it); returns the POST's status (303 on success). The server's clock may log
 * a phase transition between rendering a form and posting it: the answer is
 * then 409 with the form shown again, and `retry` (if given) reloads and
 * fills the form once more, as a person would.
 */
async function submit(page, form, { button, retry } = {}) {
  for (let attempt = 0; ; attempt++) {
    const action = new URL(await form.getAttribute('action'), BASE).pathname;
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action),
      // The page that answers the post (after a redirect, or the form shown again with its problems).
      page.waitForNavigation({ waitUntil: 'load' }),
      (button ?? form.locator('button[type="submit"]')).click(),
    ]);
    if (response.status() === 409 && retry && attempt < 3) {
      await retry();
      continue;
    }
    return response.status();
  }
}

/** Reads the CSRF token from the page (no script) and calls the API with the person's session cookie. */
async function apiCall(who, method, path, body) {
  const csrf = (await who.page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
  const headers = { 'x-csrf-token': csrf };
  for (let attempt = 0; ; attempt++) {
    if (method !== 'GET') {
      const view = await who.context.request.get(`${BASE}/api/negotiations/${negotiation}`);
      headers['if-match'] = `"${(await view.json()).log_size}"`;
    }
    const response = await who.context.request.fetch(BASE + path, { method, headers, data: body });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    if (response.status() === 409 && json?.code === 'conflict' && attempt < 5) continue;
    return { status: response.status(), json, text };
  }
}

test('sign up, sign out and sign in through the forms', async () => {
  for (const who of Object.values(people)) {
    const { page } = who;
    await page.goto('/signup');
    await page.getByLabel('Your name').fill(who.display);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    const form = page.locator('form[action="/signup"]');
    assert.equal(await submit(page, form), 303, await formErrors(page));
    assert.equal(new URL(page.url()).pathname, '/');
    await page.locator('header .who', { hasText: who.display }).waitFor();
    assert.equal(await submit(page, page.locator('form[action="/signout"]')), 303);
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await page.locator('header .who').count(), 0, 'still signed in after signing out');
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(PASSWORD);
    assert.equal(await submit(page, page.locator('form[action="/signin"]')), 303, await formErrors(page));
    assert.equal(new URL(page.url()).pathname, '/');
    await page.locator('header .who', { hasText: who.display }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'My negotiations' }).waitFor();
  }
});

test('the mediator creates a negotiation from the example through the form', async () => {
  const { page } = people.mediator;
  await page.goto('/n/new');
  await page.getByLabel(/bundled example/i).check();
  await page.getByLabel(/first phase now/i).check();
  assert.equal(await submit(page, page.locator('form#new-form')), 303, await formErrors(page));
  assert.match(page.url(), /\/n\/[^/]+\/members$/);
  negotiation = new URL(page.url()).pathname.split('/')[2];
  assert.match(negotiation, /^peace-framework-/);
});

test('invitation and join through the forms', async () => {
  const mediator = people.mediator.page;
  let link = null;
  const invite = async () => {
    await mediator.goto(`/n/${negotiation}/members`);
    await mediator.getByLabel('Seat').selectOption('ua');
  };
  await invite();
  const status = await submit(mediator, mediator.locator('form#invite-form'), { retry: invite });
  assert.ok(status < 300, `the invitation form answered ${status}: ${await formErrors(mediator)}`);
  link = await mediator.locator('#invitation-link').getAttribute('href');
  assert.match(link, /^\/join\?/);

  const { page } = people.ua;
  await page.goto(link);
  // The link fills in the negotiation and the code.
  assert.equal(await page.getByLabel('Negotiation id').inputValue(), negotiation);
  assert.notEqual(await page.getByLabel('Invitation code').inputValue(), '');
  assert.equal(await submit(page, page.locator('form[action="/join"]')), 303, await formErrors(page));
  assert.equal(new URL(page.url()).pathname, `/n/${negotiation}`);
  assert.equal(await page.locator('body').getAttribute('data-party'), 'ua');
  await mediator.goto(`/n/${negotiation}/members`);
  await mediator.locator('#members tr[data-party="ua"]', { hasText: 'taken' }).waitFor();
});

test('the signatory records a stance and a comment through the forms', async () => {
  const { page } = people.ua;
  const stance = async () => {
    await page.goto(`/n/${negotiation}/text`);
    const form = page.locator(`form[action="/n/${negotiation}/stances/art-3"]`);
    await form.locator('input[name="position"][value="unacceptable"]').check();
    await form.locator('[name="reason"]').fill(`Not as drafted. ${canary.reason}`);
  };
  await stance();
  const stanceForm = page.locator(`form[action="/n/${negotiation}/stances/art-3"]`);
  assert.equal(await submit(page, stanceForm, { retry: stance }), 303, await formErrors(page));
  assert.match(page.url(), new RegExp(`/n/${negotiation}/text#p-art-3$`));
  await page.locator('section#p-art-3 h3 .badge.unacceptable').waitFor();
  assert.equal(await page.locator('#f-art-3-reason').inputValue(), `Not as drafted. ${canary.reason}`);

  const comment = async () => {
    await page.goto(`/n/${negotiation}/text`);
    // <details> opens without script.
    await page.locator('section#p-art-2 summary', { hasText: /add a comment/i }).click();
    const form = page.locator(`section#p-art-2 form[action="/n/${negotiation}/comments"]`);
    await form.getByLabel(/quoted words/i).fill('All hostilities shall cease');
    await form.getByLabel(/^comment$/i).fill(canary.comment);
  };
  await comment();
  const commentForm = page.locator(`section#p-art-2 form[action="/n/${negotiation}/comments"]`);
  assert.equal(await submit(page, commentForm, { retry: comment }), 303, await formErrors(page));
  const shown = page.locator('section#p-art-2 .comment', { hasText: canary.comment });
  await shown.waitFor();
  assert.equal((await shown.locator('blockquote').textContent()).trim(), '“All hostilities shall cease”');
});

test('the signatory saves the profile and moves the reservation value through the forms', async () => {
  const { page } = people.ua;
  let weightName;
  const profile = async () => {
    await page.goto(`/n/${negotiation}/profile`);
    const slider = page.locator('form#profile-form input[type="range"][name^="weight."]').first();
    weightName = await slider.getAttribute('name');
    await slider.fill('77');
    const reservation = page.locator('form#profile-form [name="reservation"]');
    if (await reservation.count()) await reservation.fill('0.4');
  };
  await profile();
  assert.equal(await submit(page, page.locator('form#profile-form'), { retry: profile }), 303, await formErrors(page));
  assert.equal(new URL(page.url()).pathname, `/n/${negotiation}/profile`);
  assert.equal(await page.locator(`form#profile-form input[name="${weightName}"]`).inputValue(), '77', 'the saved weight is not shown back');

  const move = async () => {
    await page.goto(`/n/${negotiation}/profile`);
    const form = page.locator('form#reservation-form');
    await form.locator('[name="reservation"]').fill('0.43');
    await form.locator('[name="note"]').fill(`Moved without script. ${canary.note}`);
  };
  await move();
  assert.equal(await submit(page, page.locator('form#reservation-form'), { retry: move }), 303, await formErrors(page));
  assert.equal((await page.locator('#reservation-now').textContent()).trim(), '0.43');
  await page.locator('#reservation-history', { hasText: canary.note }).waitFor();
});

let published;

test('the mediator: analysis, preview of a package, adopt and publish through the forms', async () => {
  const mediator = people.mediator;
  const { page } = mediator;
  // Version 1 is the draft as it stands, reviewed and published from the versions page; the adopted package becomes version 2.
  const review = async () => {
    await page.goto(`/n/${negotiation}/versions`);
    await Promise.all([page.waitForURL(/\/versions\/next$/), page.locator('#publish-next').click()]);
  };
  await review();
  assert.equal(await submit(page, page.locator('form#publish-form'), { retry: review }), 303, await formErrors(page));
  await page.locator('#versions tr[data-version="1"]').waitFor();

  await page.goto(`/n/${negotiation}/analysis`);
  // The mediator sees the signatory's reason, written without script.
  await page.locator('#stance-matrix tr[data-provision="art-3"] q.reason', { hasText: canary.reason }).waitFor();
  // The Pareto pair selector is a GET form: without script it reloads with the new pair.
  const pair = page.locator('form#pareto-pair');
  if (await pair.count()) {
    const options = await pair.locator('select[name="b"] option').evaluateAll((os) => os.map((o) => o.value));
    const a = await pair.locator('select[name="a"]').inputValue();
    const b = options.find((o) => o !== a && o !== options[0]) ?? options.find((o) => o !== a);
    await pair.locator('select[name="b"]').selectOption(b);
    await Promise.all([page.waitForURL((url) => url.searchParams.get('b') === b), pair.locator('button[type="submit"]').click()]);
    assert.equal(await page.locator('form#pareto-pair select[name="b"]').inputValue(), b);
    assert.equal(await page.locator('figure[data-chart="pareto"] svg.accord-chart').count(), 1, 'no Pareto chart for the new pair');
  }
  const previewLink = page.locator('a[data-action="preview-package"]').first();
  assert.ok(await previewLink.count(), 'the analysis offers no package to preview');
  await Promise.all([page.waitForURL(/\/analysis\/preview\?package=/), previewLink.click()]);
  await page.getByRole('heading', { level: 1, name: /^Preview/ }).waitFor();
  // The preview's form carries the log position it was rendered at: loading it again renders it afresh.
  const previewUrl = page.url();
  const adopt = async () => {
    await page.goto(previewUrl);
  };
  const form = page.locator('form#adopt-form');
  assert.equal(await form.locator('[name="publish"]').isChecked(), true, 'publishing is not preselected');
  const status = await submit(page, form, { retry: adopt });
  assert.equal(status, 303, await formErrors(page));
  assert.equal(new URL(page.url()).pathname, `/n/${negotiation}/versions`);
  const versions = (await apiCall(mediator, 'GET', `/api/negotiations/${negotiation}/versions`)).json;
  assert.equal(versions.length, 2, JSON.stringify(versions).slice(0, 300));
  published = versions[versions.length - 1].number;
  await page.locator(`#versions tr[data-version="${published}"]`).waitFor();
});

test('the diff picker works without script', async () => {
  const { page } = people.ua;
  await page.goto(`/n/${negotiation}/versions`);
  const picker = page.locator('form#diff-picker');
  await picker.locator('select[name="a"]').selectOption('1');
  await picker.locator('select[name="b"]').selectOption(String(published));
  await Promise.all([page.waitForURL(new RegExp(`/versions/1/diff/${published}$`)), picker.locator('button[type="submit"]').click()]);
  await page.getByRole('heading', { level: 1, name: `Changes from version 1 to version ${published}` }).waitFor();
});

/** Every page a seat reads: each answers 200 and shows its main heading. */
function pagesFor(key) {
  const n = `/n/${negotiation}`;
  const pages = [
    ['/', /My negotiations/],
    [n, /Framework Agreement for Peace/],
    [`${n}/text`, /The text/],
    [`${n}/versions`, /Versions/],
    [`${n}/versions/1`, /Version 1/],
    [`${n}/versions/1/diff/${published}`, new RegExp(`Changes from version 1 to version ${published}`)],
    [`${n}/members`, /Members/],
    [`${n}/profile`, /My profile/],
    [`${n}/sign`, /Signing/],
    [`${n}/evidence`, /Evidence/],
  ];
  if (key === 'mediator') pages.push([`${n}/analysis`, /Analysis/]);
  return pages;
}

async function readEveryPage(key) {
  const { page } = people[key];
  for (const [path, heading] of pagesFor(key)) {
    const response = await page.goto(path);
    assert.equal(response.status(), 200, `${key}: ${path} answers ${response.status()}`);
    const h1 = page.locator('main h1');
    assert.equal(await h1.count(), 1, `${key}: ${path} has ${await h1.count()} main headings`);
    assert.ok(await h1.isVisible(), `${key}: ${path}'s heading is not visible`);
    assert.match(await h1.textContent(), heading, `${key}: ${path}`);
  }
}

test('the signatory reads every page of the negotiation', async () => {
  await readEveryPage('ua');
  // Charts are drawn by the server: the timetable is there without script, just not focusable.
  const { page } = people.ua;
  await page.goto(`/n/${negotiation}`);
  assert.ok((await page.locator('svg.accord-chart-timetable g.phase').count()) >= 5);
  assert.equal(await page.locator('svg.accord-chart [tabindex]').count(), 0, 'script ran: chart marks were made focusable');
});

test('the mediator reads every page of the negotiation', async () => {
  await readEveryPage('mediator');
});

test('the mediator advances the phases through the form, up to signing', async () => {
  const mediator = people.mediator;
  const { page } = mediator;
  for (let i = 0; i < 10; i++) {
    const phase = (await apiCall(mediator, 'GET', `/api/negotiations/${negotiation}/phase`)).json;
    if (phase.current?.kind === 'signing') break;
    const advance = async () => {
      await page.goto(`/n/${negotiation}`);
      await page.locator('summary', { hasText: /end the current phase/i }).click();
      await page.getByLabel(/^Why/).fill(`Advanced without script ${i}.`);
    };
    await advance();
    const status = await submit(page, page.locator(`form[action="/n/${negotiation}/phase/advance"]`), { retry: advance });
    assert.equal(status, 303, await formErrors(page));
    const after = (await apiCall(mediator, 'GET', `/api/negotiations/${negotiation}/phase`)).json;
    assert.notEqual(after.current?.id, phase.current?.id, 'the phase did not move');
  }
  const phase = (await apiCall(mediator, 'GET', `/api/negotiations/${negotiation}/phase`)).json;
  assert.equal(phase.current?.kind, 'signing', JSON.stringify(phase).slice(0, 300));
});

test('signing and acknowledging need script, and their pages say so instead of showing dead buttons', async () => {
  const { page } = people.ua;
  for (const [path, action] of [
    [`/n/${negotiation}/sign/${published}`, 'sign'],
    [`/n/${negotiation}/versions/${published}`, 'acknowledge'],
  ]) {
    const response = await page.goto(path);
    assert.equal(response.status(), 200);
    const button = page.locator(`button[data-action="${action}"]`);
    assert.equal(await button.count(), 1, `${path}: no ${action} button in the page at all`);
    assert.equal(await button.isVisible(), false, `${path}: the ${action} button shows, but nothing would handle a click`);
    // A visible sentence that the browser action needs JavaScript...
    const note = page.getByText(/needs JavaScript/i);
    assert.ok(await note.first().isVisible(), `${path}: nothing says that ${action === 'sign' ? 'signing' : 'acknowledging'} in the browser needs JavaScript`);
    // ...and the way to do it without: the command line.
    const cli = page.locator('details.no-js-alt');
    await cli.locator('summary').click();
    assert.match(await cli.locator('pre.cli').textContent(), new RegExp(`accord ${action === 'sign' ? 'sign' : 'ack'} ${negotiation}`));
  }
  // The rest of the sign page reads fine: the final text and its hash.
  await page.goto(`/n/${negotiation}/sign`);
  assert.match(await page.locator('main h2').first().textContent(), new RegExp(`Version ${published}`));
});
