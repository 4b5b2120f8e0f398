// Shared by the browser stories: Debian's Chromium driven by playwright-core (no browser
// download), axe-core's WCAG 2.2 AA checks of every page, screenshots of each step, TOTP codes
// computed here independently of the service.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { totp } from './totp.mjs';

export { totp };

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
rmSync(config.screenshots, { recursive: true, force: true });
mkdirSync(config.screenshots, { recursive: true });

export const results = { pages: [], violations: [], interactions: {}, weights: {} };
let step = 0;

/** Screenshots the page and runs axe-core's WCAG 2 A/AA, 2.1 A/AA and 2.2 AA rules on it. */
export async function check(page, name) {
  step += 1;
  await page.screenshot({ path: `${config.screenshots}/${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
  await page.evaluate(axeSource);
  const axe = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }));
  results.pages.push({ name, url: page.url(), passes: axe.passes.length });
  await expectPeoplesWords(page, name);
  for (const v of axe.violations) {
    results.violations.push({ page: name, id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help });
  }
}

/** The machine words (codes with an underscore, such as "nrm_referred") and raw ids (UUIDs, with or without dashes) in a text. */
export function machineWords(text) {
  const found = [];
  for (const m of text.matchAll(/(^|[^@\w.])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w@])/g)) found.push(m[2]);
  for (const m of text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) found.push(m[0]);
  // A UUID without its dashes, too.
  for (const m of text.matchAll(/\b[0-9a-f]{32}\b/gi)) found.push(m[0]);
  return found;
}

/**
 * Fails when the page's text shows a machine word (a code with an underscore, such as
 * "nrm_referred") or a raw id (a UUID): what a person reads is in people's words. Text a page
 * marks as code (`<code>`, `<kbd>`, `<samp>`: an API client's id for its developer) and form
 * values are not read.
 */
export async function expectPeoplesWords(page, name) {
  const text = await page.evaluate(() => {
    const body = document.body.cloneNode(true);
    for (const el of body.querySelectorAll('code, kbd, samp, script, style')) el.remove();
    return body.innerText;
  });
  const found = machineWords(text);
  results.words = (results.words || 0) + 1;
  if (found.length > 0) fail(`${name} (${page.url()}) shows machine words or raw ids: ${[...new Set(found)].slice(0, 10).join(', ')}`);
}

export function fail(message) {
  results.error = message;
  console.log(JSON.stringify(results));
  process.exit(1);
}

export async function expectText(page, text) {
  const body = await page.textContent('body');
  if (!body.includes(text)) fail(`expected "${text}" on ${page.url()}: ${body.replace(/\s+/g, " ").slice(0, 400)}`);
}

export async function signIn(page, who) {
  await page.goto(`${who.base || config.base}/app/sign-in`);
  await check(page, `${who.name}-sign-in`);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.fill('#code', totp(who.totp_secret, who.step_offset || 0));
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForLoadState('load');
}

export async function launch() {
  return chromium.launch({ executablePath: config.chromium, args: ['--no-sandbox'] });
}

export function newPage(browser) {
  return browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/London', acceptDownloads: true }).then((c) => c.newPage());
}

/** Runs `story` in a browser (Chromium, unless `open` launches another), then prints the
 *  results as one JSON line and exits. */
export async function run(story, open = launch) {
  const browser = await open();
  try {
    await story(browser);
  } catch (e) {
    fail(String((e && e.stack) || e));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(results));
  process.exit(results.violations.length === 0 ? 0 : 1);
}
