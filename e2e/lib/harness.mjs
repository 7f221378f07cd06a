// Shared by the e2e tests: the server under test, the system Chromium, one
// browser context per person, screenshots at both widths, and guards that
// fail a test on any uncaught page error or failed module load.
//
// scripts/e2e starts `accord serve` and sets:
//   ACCORD_BASE_URL   http://127.0.0.1:PORT of the server under test
//   ACCORD_BIN        the accord binary (for `accord verify`, keygen and the CLI client)
//   ACCORD_E2E_OUT    where screenshots and downloads go (target/e2e)
//   CHROMIUM          the browser (default /usr/bin/chromium)

import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

const run = promisify(execFile);

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through scripts/e2e`);
  return value;
}

export const BASE = required('ACCORD_BASE_URL').replace(/\/$/, '');
export const ACCORD_BIN = required('ACCORD_BIN');
export const OUT = process.env.ACCORD_E2E_OUT || join(process.cwd(), '..', 'target', 'e2e');
export const PASSWORD = 'e2e password 1234';
export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };
mkdirSync(OUT, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
}

/**
 * A person: their own browser context (cookies, IndexedDB), one page, and a
 * record of every uncaught page error and console error, which
 * `person.assertClean()` turns into a test failure.
 */
export async function person(browser, name, viewport = WIDE) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: BASE });
  if (process.env.ACCORD_E2E_STATIC_FROM_TREE) await serveStaticFromTree(context);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`${name}: uncaught ${error.message}`));
  page.on('console', (message) => {
    // Failed resource loads and errors of our modules; 4xx answers to the API
    // calls a test provokes on purpose are logged by the browser as errors too,
    // so those are filtered by the `expectedErrors` list.
    // The site has no favicon; the browser's request for one is not the page's error.
    if (message.type() === 'error' && !/favicon\.ico$/.test(message.location()?.url || '')) {
      problems.push(`${name}: console ${message.text()} (${message.location()?.url || ''})`);
    }
  });
  page.setDefaultTimeout(15_000);
  return {
    name,
    context,
    page,
    problems,
    expectedErrors: [],
    assertClean() {
      const real = problems.filter((p) => !this.expectedErrors.some((re) => re.test(p)));
      assert.deepEqual(real, [], `${name}'s pages reported errors`);
    },
    async close() {
      await context.close();
    },
  };
}

/**
 * For working on the JS without rebuilding the binary (which embeds
 * static/): answer /static/js/ and /static/vendor/ from the working tree.
 * Opt-in (ACCORD_E2E_STATIC_FROM_TREE=1); scripts/e2e never sets it.
 */
async function serveStaticFromTree(context) {
  const root = new URL('../../crates/accord-server/static/', import.meta.url);
  await context.route(/\/static\/(js|vendor)\//, async (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^\/static\//, '');
    try {
      const body = readFileSync(new URL(path, root));
      await route.fulfill({ status: 200, body, contentType: 'text/javascript' });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
}

export async function signUp(p, displayName, email) {
  await p.page.goto('/signup');
  await p.page.getByLabel(/name/i).first().fill(displayName);
  await p.page.getByLabel(/email/i).fill(email);
  await p.page.getByLabel(/password/i).fill(PASSWORD);
  await Promise.all([p.page.waitForURL((url) => !url.pathname.startsWith('/signup')), p.page.getByRole('button', { name: /sign up|create/i }).click()]);
}

export async function signIn(p, email, password = PASSWORD) {
  await p.page.goto('/signin');
  await p.page.getByLabel(/email/i).fill(email);
  await p.page.getByLabel(/password/i).fill(password);
  await Promise.all([p.page.waitForURL((url) => !url.pathname.startsWith('/signin')), p.page.getByRole('button', { name: /sign in/i }).click()]);
}

/**
 * Full-page screenshots at 1280 px and 390 px: OUT/NAME-1280.png and
 * OUT/NAME-390.png. At each width the page must not scroll sideways and must
 * pass axe-core's WCAG 2.1 A and AA rules (contrast, labels, names, landmarks…).
 */
export async function screenshots(page, name) {
  const original = page.viewportSize();
  for (const viewport of [WIDE, NARROW]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(OUT, `${name}-${viewport.width}.png`), fullPage: true });
    // No page may scroll sideways at either width: wide content scrolls in its own box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${name} scrolls horizontally by ${overflow}px at ${viewport.width}px`);
    await assertAccessible(page, `${name} at ${viewport.width}px`);
  }
  if (original) await page.setViewportSize(original);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core (from npm, injected into the page) with the WCAG 2.1 A/AA
 * rules and fails with every violation, its rule, impact and the offending
 * elements. Returns how many rules passed, so a caller can tell the check ran.
 */
export async function assertAccessible(page, what) {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ')}`),
      })),
    };
  }, WCAG_AA);
  const report = result.violations.map((v) => `  [${v.impact}] ${v.rule}: ${v.help}\n${v.nodes.map((n) => `      ${n}`).join('\n')}`).join('\n');
  assert.equal(result.violations.length, 0, `${what} fails WCAG 2.1 AA (axe-core):\n${report}`);
  return result.passes;
}

/** The API through the person's session (cookie + CSRF token from the page's meta tag). */
export async function api(p, method, path, body, ifMatch) {
  const csrf = await p.page.evaluate(() => document.querySelector('meta[name="csrf-token"]')?.content ?? '');
  for (let attempt = 0; ; attempt++) {
    const headers = { 'x-csrf-token': csrf };
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    const response = await p.context.request.fetch(BASE + path, { method, headers, data: body });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (e.g. a bundle download is JSON, a 204 is empty).
    }
    // The server's clock logs phase transitions by itself (a timetable that
    // starts now is due at once), so a write based on a size read just before
    // may meet a moved log: re-read the size and send it again, a few times.
    const negotiation = path.match(/^\/api\/negotiations\/([^/]+)\//)?.[1];
    if (response.status() === 409 && json?.code === 'conflict' && ifMatch !== undefined && negotiation && attempt < 5) {
      const fresh = await p.context.request.fetch(`${BASE}/api/negotiations/${negotiation}`, { method: 'GET' });
      ifMatch = (await fresh.json()).log_size;
      continue;
    }
    return { status: response.status(), json, text };
  }
}

export function tempDir(prefix = 'accord-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the accord CLI; rejects with its output when it fails. */
export async function accord(args, { env = {}, input } = {}) {
  const child = run(ACCORD_BIN, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin.end(input);
  }
  try {
    return await child;
  } catch (error) {
    throw new Error(`accord ${args.join(' ')} failed (${error.code}):\n${error.stdout}\n${error.stderr}`);
  }
}

/**
 * Fails with the page's error summary if it shows one. (Reading the summary
 * only when it exists: a locator read of a missing element waits for the
 * default timeout first.)
 */
export async function assertNoFormErrors(page) {
  const summary = page.locator('#form-errors');
  if ((await summary.count()) > 0) assert.fail(`the page reports errors: ${await summary.innerText()}`);
}

export /** Presses Tab until the focused element matches `selector`; asserts each stop shows a focus indicator. */
async function tabTo(page, selector, { max = 150, backwards = false } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const state = await page.evaluate((selector) => {
      const el = document.activeElement;
      if (!el || el === document.body) return { matched: false, visible: true };
      const style = getComputedStyle(el);
      const visible =
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
        (style.boxShadow && style.boxShadow !== 'none') ||
        el.matches('.is-focused');
      return { matched: el.matches(selector), visible, what: el.outerHTML.slice(0, 120) };
    }, selector);
    assert.ok(state.visible, `no visible focus indicator on ${state.what}`);
    if (state.matched) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Waits until `predicate` (run in the page) is true; for live updates arriving over the event stream. */
export async function eventually(page, predicate, arg, timeout = 15_000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
}

export function unique(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
