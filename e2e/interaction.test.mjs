// The page behaviour the main scenario passes by: comments anchored to quoted
// words (and marked outdated when the words go), private comments, the
// charts' keyboard focus and tooltips (static/js/charts.js), ticking
// countdowns and the home page's live activity (static/js/live.js).
// Set-up (a negotiation, two signatories' seats) goes through the API; what
// is tested goes through the pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE, PASSWORD, launch, person, api, eventually, unique, tabTo } from './lib/harness.mjs';

const run = unique('ia');
let browser;
let mediator;
let ua;
let ru;
let negotiation;

/**
 * The example's timetable moved so that its first phase is under way and ends
 * in 30 minutes: the countdown to that deadline then shows minutes and
 * seconds, so it visibly changes every second.
 */
function timetableFrom(example) {
  const first = example.match(/\[\[phase\]\][^[]*?start\s*=\s*(\S+)\s+end\s*=\s*(\S+)/);
  assert.ok(first, 'the example has no [[phase]] with start and end');
  const length = Date.parse(first[2]) - Date.parse(first[1]);
  assert.ok(length > 60 * 60 * 1000, `the first phase lasts only ${length} ms`);
  return new Date(Date.now() - length + 30 * 60 * 1000).toISOString();
}

before(async () => {
  browser = await launch();
  mediator = await person(browser, 'ia-mediator');
  ua = await person(browser, 'ia-ua');
  ru = await person(browser, 'ia-ru');
  const accounts = [
    [mediator, `us-${run}@e2e.accord.invalid`, 'Interaction Mediator'],
    [ua, `ua-${run}@e2e.accord.invalid`, 'Interaction Signatory UA'],
    [ru, `ru-${run}@e2e.accord.invalid`, 'Interaction Signatory RU'],
  ];
  for (const [p, email, name] of accounts) {
    const created = await p.context.request.post(`${BASE}/api/accounts`, { data: { email, password: PASSWORD, display_name: name } });
    assert.ok(created.status() < 300, await created.text());
    const session = await p.context.request.post(`${BASE}/api/sessions`, { data: { email, password: PASSWORD } });
    assert.equal(session.status(), 200, await session.text());
    await p.page.goto('/');
  }
  const example = readFileSync(new URL('../examples/peace-framework.toml', import.meta.url), 'utf8');
  const created = await api(mediator, 'POST', '/api/negotiations', { scenario_toml: example, timetable_from: timetableFrom(example) });
  assert.ok(created.status < 300, created.text);
  negotiation = created.json.id;
  for (const [p, party] of [
    [ua, 'ua'],
    [ru, 'ru'],
  ]) {
    const view = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
    const invitation = await api(mediator, 'POST', `/api/negotiations/${negotiation}/invitations`, { party }, view.json.log_size);
    assert.ok(invitation.status < 300, invitation.text);
    const accepted = await api(p, 'POST', `/api/negotiations/${negotiation}/invitations/accept`, { token: invitation.json.token });
    assert.ok(accepted.status < 300, accepted.text);
  }
});

after(async () => {
  await browser?.close();
});

// ---- Comments

const publicComment = `Public remark on the purpose ${run}`;
const privateComment = `PRIVATE-CANARY ${run}`;
let quote;

/** Opens the provision's "Add a comment" form, fills it and submits it; back on the text page at the provision. */
async function addComment(p, provision, { quote = '', text, private: isPrivate = false }) {
  const { page } = p;
  const section = page.locator(`section#p-${provision}`);
  const details = section.locator('details', { has: page.locator('summary', { hasText: /add a comment/i }) });
  await details.locator('summary').click();
  const form = details.locator(`form[action="/n/${negotiation}/comments"]`);
  await form.getByLabel(/quoted words/i).fill(quote);
  await form.getByLabel(/^comment$/i).fill(text);
  if (isPrivate) await form.getByLabel(/private/i).check();
  await Promise.all([page.waitForURL(new RegExp(`/n/${negotiation}/text#p-${provision}$`)), form.getByRole('button', { name: /add the comment/i }).click()]);
  assert.equal(await page.locator('#form-errors').count(), 0, await page.locator('#form-errors').allTextContents().then((t) => t.join(' ')));
}

test('a signatory comments on words quoted from a provision: the comment is shown anchored to them', async () => {
  const { page } = ua;
  await page.goto(`/n/${negotiation}/text`);
  const text = (await page.locator('section#p-art-1 .provision-text').textContent()).trim();
  // A few words from the middle of the provision, copied from the page as a person would.
  const words = text.split(/\s+/);
  assert.ok(words.length > 10, `art-1 reads only "${text}"`);
  quote = words.slice(3, 9).join(' ');
  await addComment(ua, 'art-1', { quote, text: publicComment });
  const comment = page.locator('section#p-art-1 .comment', { hasText: publicComment });
  await comment.waitFor();
  assert.equal((await comment.locator('blockquote').textContent()).trim(), `“${quote}”`);
  assert.equal(await comment.evaluate((c) => c.classList.contains('outdated')), false, 'a fresh comment is marked outdated');
  assert.equal(await comment.locator('.badge.outdated').count(), 0);
  const listed = (await api(ua, 'GET', `/api/negotiations/${negotiation}/comments`)).json;
  const mine = (Array.isArray(listed) ? listed : listed.comments).find((c) => c.text === publicComment);
  assert.ok(mine, JSON.stringify(listed).slice(0, 500));
  assert.equal(mine.quote, quote);
  assert.equal(mine.outdated, false);
});

test('the mediator rewrites that provision without the quoted words: the comment is marked outdated', async () => {
  const draft = (await api(mediator, 'GET', `/api/negotiations/${negotiation}/draft`)).json;
  const provision = draft.provisions.find((p) => p.id === 'art-1');
  assert.ok(provision, JSON.stringify(draft.provisions.map((p) => p.id)));
  const body = `The Parties shall settle their differences by peaceful means only (${run}).`;
  assert.ok(!body.includes(quote) && !provision.heading.includes(quote));
  const view = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
  const put = await api(
    mediator,
    'PUT',
    `/api/negotiations/${negotiation}/provisions/art-1`,
    { number: provision.number, heading: provision.heading, body, wordings: provision.wordings ?? [] },
    view.json.log_size,
  );
  assert.ok(put.status < 300, put.text);
  // Parties read the released text: the rewording reaches them when published.
  const edited = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
  const published = await api(mediator, 'POST', `/api/negotiations/${negotiation}/versions`, {}, edited.json.log_size);
  assert.ok(published.status < 300, published.text);
  const { page } = ua;
  await page.reload();
  await assert.doesNotReject(page.locator('section#p-art-1 .provision-text', { hasText: body }).waitFor());
  const comment = page.locator('section#p-art-1 .comment', { hasText: publicComment });
  assert.equal(await comment.evaluate((c) => c.classList.contains('outdated')), true, await comment.evaluate((c) => c.outerHTML));
  assert.match(await comment.locator('.badge.outdated').textContent(), /outdated/);
  // The quote stays, so the reader sees what the comment was about.
  assert.equal((await comment.locator('blockquote').textContent()).trim(), `“${quote}”`);
  const listed = (await api(ua, 'GET', `/api/negotiations/${negotiation}/comments`)).json;
  assert.equal((Array.isArray(listed) ? listed : listed.comments).find((c) => c.text === publicComment)?.outdated, true);
});

test('a private comment is seen by its author and the mediator, not by another party', async () => {
  await ua.page.goto(`/n/${negotiation}/text`);
  await addComment(ua, 'art-2', { text: privateComment, private: true });
  const own = ua.page.locator('section#p-art-2 .comment', { hasText: privateComment });
  await own.waitFor();
  assert.equal((await own.locator('.badge', { hasText: /^private$/ }).count()), 1, 'the author\'s private comment has no "private" badge');

  await mediator.page.goto(`/n/${negotiation}/text`);
  await assert.doesNotReject(mediator.page.locator('section#p-art-2 .comment', { hasText: privateComment }).waitFor());

  await ru.page.goto(`/n/${negotiation}/text`);
  // Positive control: the other signatory does see the public comment (and the draft's comments at all).
  await assert.doesNotReject(ru.page.locator('section#p-art-1 .comment', { hasText: publicComment }).waitFor());
  assert.ok(!(await ru.page.content()).includes(privateComment), 'ru sees ua\'s private comment on the text page');
  const listed = (await api(ru, 'GET', `/api/negotiations/${negotiation}/comments`)).text;
  assert.ok(listed.includes(publicComment), listed.slice(0, 300));
  assert.ok(!listed.includes(privateComment), 'ru receives ua\'s private comment from the API');
});

// ---- Charts: focus, arrow keys, Escape, hover

/** The tooltip box of the chart around `svgSelector` and the state of its marks. */
function chartState(page, svgSelector) {
  return page.evaluate((svgSelector) => {
    const svg = document.querySelector(svgSelector);
    const host = svg.closest('figure') || svg.parentElement;
    const tip = host.querySelector(':scope > .chart-tooltip');
    const marks = [...svg.querySelectorAll('[tabindex]')];
    const title = (el) => [...(el?.children ?? [])].find((c) => c.tagName.toLowerCase() === 'title')?.textContent.trim() ?? null;
    const tipBox = tip && !tip.hidden ? tip.getBoundingClientRect() : null;
    const hostBox = host.getBoundingClientRect();
    return {
      marks: marks.length,
      tabStops: marks.filter((m) => m.getAttribute('tabindex') === '0').length,
      active: marks.indexOf(document.activeElement),
      focusedClass: marks.filter((m) => m.classList.contains('is-focused')).map((m) => marks.indexOf(m)),
      tip: tip && !tip.hidden ? tip.textContent : null,
      tipInside: tipBox ? tipBox.left >= hostBox.left - 1 && tipBox.right <= hostBox.right + 1 && tipBox.width > 0 : null,
      titles: marks.map(title),
    };
  }, svgSelector);
}

async function checkKeyboardChart(page, svgSelector) {
  await tabTo(page, `${svgSelector} [tabindex="0"]`);
  let state = await chartState(page, svgSelector);
  assert.ok(state.marks >= 1, `${svgSelector}: no focusable marks`);
  assert.equal(state.tabStops, 1, `${svgSelector}: one tab stop per chart (roving), found ${state.tabStops}`);
  assert.equal(state.active, 0);
  assert.ok(state.titles[0], `${svgSelector}: the first mark has no <title>`);
  assert.equal(state.tip, state.titles[0], `${svgSelector}: focus shows the mark's tooltip`);
  assert.equal(state.tipInside, true, `${svgSelector}: the tooltip lies outside its chart`);
  assert.deepEqual(state.focusedClass, [0]);
  if (state.marks > 1) {
    await page.keyboard.press('ArrowRight');
    state = await chartState(page, svgSelector);
    assert.equal(state.active, 1, `${svgSelector}: ArrowRight moves to the next mark`);
    assert.equal(state.tabStops, 1);
    assert.equal(state.tip, state.titles[1]);
    await page.keyboard.press('End');
    state = await chartState(page, svgSelector);
    assert.equal(state.active, state.marks - 1, `${svgSelector}: End moves to the last mark`);
    assert.equal(state.tip, state.titles[state.marks - 1]);
    await page.keyboard.press('ArrowRight');
    state = await chartState(page, svgSelector);
    assert.equal(state.active, 0, `${svgSelector}: ArrowRight on the last mark wraps to the first`);
    await page.keyboard.press('ArrowLeft');
    state = await chartState(page, svgSelector);
    assert.equal(state.active, state.marks - 1, `${svgSelector}: ArrowLeft on the first mark wraps to the last`);
    await page.keyboard.press('Home');
  }
  await page.keyboard.press('Escape');
  state = await chartState(page, svgSelector);
  assert.equal(state.tip, null, `${svgSelector}: Escape hides the tooltip`);
  // Tab leaves the chart in one step (the other marks are not tab stops) and the tooltip stays hidden.
  await page.keyboard.press('Tab');
  state = await chartState(page, svgSelector);
  assert.equal(state.active, -1, `${svgSelector}: Tab stays inside the chart`);
  assert.equal(state.tip, null);
  assert.deepEqual(state.focusedClass, []);
}

async function checkHoverChart(page, svgSelector, index) {
  const mark = page.locator(`${svgSelector} [tabindex]`).nth(index);
  await mark.scrollIntoViewIfNeeded();
  const box = await mark.boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, `${svgSelector}: mark ${index} is not drawn`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(
    ([svgSelector, index]) => {
      const mark = document.querySelectorAll(`${svgSelector} [tabindex]`)[index];
      return mark.classList.contains('is-focused');
    },
    [svgSelector, index],
    { timeout: 5_000 },
  );
  let state = await chartState(page, svgSelector);
  assert.equal(state.tip, state.titles[index], `${svgSelector}: hover shows the mark's tooltip`);
  await page.mouse.move(1, 1);
  state = await chartState(page, svgSelector);
  assert.equal(state.tip, null, `${svgSelector}: the tooltip goes when the pointer leaves`);
}

test('the home timetable: one Tab stop, arrow keys between the phases, each with its tooltip; Escape hides it; hover shows it', async () => {
  const { page } = ua;
  await page.goto(`/n/${negotiation}`);
  const svg = 'figure[data-chart="timetable"] svg.accord-chart';
  await page.locator(`${svg} [tabindex="0"]`).waitFor({ state: 'attached' });
  const state = await chartState(page, svg);
  assert.ok(state.marks >= 5, `the timetable has ${state.marks} focusable phases`);
  await checkKeyboardChart(page, svg);
  await checkHoverChart(page, svg, 2);
  ua.assertClean();
});

test('the profile page\'s charts take keyboard focus and show their tooltips; hover too', async () => {
  const { page } = ua;
  await page.goto(`/n/${negotiation}/profile`);
  // The example carries ua's profile: the page draws what the draft gives ua, its balance and reservation history.
  const ids = await page.locator('svg.accord-chart').evaluateAll((svgs) => svgs.map((s) => s.id));
  assert.ok(ids.length >= 2, `the profile page draws ${ids.length} charts: ${ids}`);
  let checked = 0;
  for (const id of ids) {
    const svg = `svg.accord-chart#${id}`;
    const marks = await page.locator(`${svg} [tabindex]`).count();
    if (marks === 0) continue;
    // Each chart from a fresh page, Tab from the top. The pointer rests in the corner: focusing a mark scrolls
    // the page, and the mouse events of a mark scrolled under a resting pointer would make the tooltip's state
    // depend on where the pointer happened to be.
    await page.mouse.move(0, 0);
    await page.goto(`/n/${negotiation}/profile`);
    await checkKeyboardChart(page, svg);
    await checkHoverChart(page, svg, 0);
    checked++;
  }
  assert.ok(checked >= 2, `only ${checked} of the profile's charts have focusable marks (${ids})`);
  ua.assertClean();
});

// ---- Countdowns

/** Seconds left in a countdown's text ("in 29 min 58 s", "in 45 s"). */
function secondsLeft(text) {
  const m = text.match(/^in (?:(\d+) min )?(\d+) s$/);
  assert.ok(m, `"${text}" is not a countdown to the second`);
  return Number(m[1] || 0) * 60 + Number(m[2]);
}

async function checkCountdown(page, selector) {
  const countdown = page.locator(selector);
  await countdown.waitFor();
  const first = (await countdown.textContent()).trim();
  const before = secondsLeft(first);
  // The deadline is 30 minutes out: the text counts down to the second.
  await page.waitForFunction(([selector, first]) => document.querySelector(selector).textContent.trim() !== first, [selector, first], {
    timeout: 5_000,
  });
  const after = secondsLeft((await countdown.textContent()).trim());
  assert.ok(after < before, `the countdown went from ${before} s to ${after} s`);
  // And it counts to the deadline it carries, not some other instant.
  const [deadline, now] = await countdown.evaluate((t) => [Date.parse(t.dataset.deadline), Date.now()]);
  assert.ok(Math.abs((deadline - now) / 1000 - after) <= 3, `the countdown shows ${after} s for a deadline ${(deadline - now) / 1000} s away`);
}

test('countdowns tick on the home page and the dashboard', async () => {
  const { page } = ua;
  await page.goto(`/n/${negotiation}`);
  await checkCountdown(page, 'main > p time.countdown');
  await page.goto('/');
  await checkCountdown(page, `li.card[data-negotiation="${negotiation}"] time.countdown`);
});

// ---- Live activity

test('the home page\'s recent activity shows another party\'s write without a reload', async () => {
  const { page } = ua;
  await page.goto(`/n/${negotiation}`);
  await page.locator('body[data-live="connected"]').waitFor({ state: 'attached' });
  const last = await page.locator('#activity li').first().getAttribute('data-position');
  await page.evaluate(() => {
    window.__notReloaded = true;
  });
  const view = await api(mediator, 'GET', `/api/negotiations/${negotiation}`);
  const written = await api(
    mediator,
    'POST',
    `/api/negotiations/${negotiation}/comments`,
    { provision: 'art-3', quote: '', text: `Mediator's note ${run}` },
    view.json.log_size,
  );
  assert.ok(written.status < 300, written.text);
  await eventually(page, (last) => Number(document.querySelector('#activity li')?.dataset.position) > Number(last), last, 20_000);
  const newest = await page.locator('#activity li').first().textContent();
  assert.match(newest, /commented on art-3/);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the home page was reloaded instead of updated live');
  await page.locator('#live-banner', { hasText: /updated/i }).waitFor();
});

test('no page reported a script error', () => {
  for (const p of [mediator, ua, ru]) p.assertClean();
});
