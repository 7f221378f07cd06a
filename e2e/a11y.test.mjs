// The WCAG 2.1 AA check that `screenshots()` runs on every main page (axe-core
// from npm): here shown able to fail, and run on the pages the scenario does
// not photograph (signed out, errors).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, assertAccessible, WIDE, NARROW } from './lib/harness.mjs';

let browser;
let visitor;

before(async () => {
  browser = await launch();
  visitor = await person(browser, 'a11y-visitor');
});

after(async () => {
  await browser?.close();
});

test('the check fails on low contrast, a control without a label, and a scroll box out of keyboard reach', async () => {
  const { page } = visitor;
  await page.goto('/signin');
  const passes = await assertAccessible(page, 'sign in');
  assert.ok(passes > 10, `axe ran only ${passes} rules`);
  const broken = [
    ['color-contrast', '<p style="color:#aaa;background:#fff">grey on white</p>'],
    ['label', '<input id="unlabelled" type="text">'],
    ['scrollable-region-focusable', '<div style="overflow-x:auto;max-width:120px"><table><tr><td style="white-space:nowrap">a line of words far too wide for its box</td></tr></table></div>'],
  ];
  for (const [rule, html] of broken) {
    await page.goto('/signin');
    await page.evaluate((html) => document.querySelector('main').insertAdjacentHTML('beforeend', html), html);
    await assert.rejects(assertAccessible(page, `sign in with ${rule}`), new RegExp(rule));
  }
});

test('signed-out pages and error pages pass WCAG 2.1 AA at both widths', async () => {
  const { page } = visitor;
  for (const path of ['/signin', '/signup', '/join?negotiation=none&token=none', '/n/no-such-negotiation', '/no-such-page']) {
    await page.goto(path);
    for (const viewport of [WIDE, NARROW]) {
      await page.setViewportSize(viewport);
      await assertAccessible(page, `${path} at ${viewport.width}px`);
    }
  }
  visitor.expectedErrors.push(/status of 404 \(Not Found\)/);
  visitor.assertClean();
});
