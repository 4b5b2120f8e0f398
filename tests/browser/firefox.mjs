// The coordinator's and the partner's core pages in Firefox (Debian's firefox-esr, driven by
// puppeteer-core over WebDriver BiDi; no browser download): sign in with a TOTP code, what is
// due, a case, log a call with a follow-up, the partner's "what we owe" and completing the
// action, each page checked with axe-core and at 320 px wide. Run by the integration test
// `browser::the_day_works_in_firefox`.
import puppeteer from 'puppeteer-core';
import { config, results, check as checkPage, fail, totp, run } from './lib.mjs';

// The same screenshots and axe-core checks as the Chromium stories (the calls they make are
// the same in puppeteer), and at 320 CSS pixels nothing may scroll sideways.
async function check(page, name) {
  await checkPage(page, name);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (page.viewport().width === 320 && wide > 320) fail(`${name} is ${wide} px wide at 320`);
}

async function text(page) {
  return page.$eval('body', (b) => b.textContent);
}

async function expectText(page, wanted) {
  const body = await text(page);
  if (!body.includes(wanted)) fail(`expected "${wanted}" on ${page.url()}: ${body.replace(/\s+/g, ' ').slice(0, 400)}`);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function signIn(page, who) {
  await page.goto(`${config.base}/app/sign-in`, { waitUntil: 'load' });
  await check(page, `${who.name}-sign-in`);
  await page.type('#email', who.email);
  await page.type('#password', who.password);
  await page.type('#code', totp(who.totp_secret, who.step_offset || 0));
  await submit(page, 'button[type=submit]');
}

await run(async (browser) => {
  results.browser = await browser.version();
  const vcc = await browser.newPage();
  await vcc.setViewport({ width: 1280, height: 800 });
  await signIn(vcc, config.coordinator);
  if (!vcc.url().endsWith('/app/due')) fail(`the coordinator landed on ${vcc.url()}: the session cookie was not kept`);
  await expectText(vcc, config.case_reference);
  await check(vcc, 'coordinator-due');
  await submit(vcc, `a[href="/app/cases/${config.case_id}"]`);
  await check(vcc, 'coordinator-case');
  // The summary has the focus; the rest of the form by keyboard: the counterpart, a follow-up.
  const focused = await vcc.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== 'summary') fail(`the summary does not have the focus (${focused})`);
  await vcc.keyboard.type(config.call_summary);
  await vcc.select('#counterpart', config.housing_id);
  await vcc.type('#follow_up', config.follow_up);
  await vcc.select('#follow_up_owner', config.housing_id);
  await vcc.$eval('#follow_up_due', (e, v) => { e.value = v; }, config.follow_up_due);
  await submit(vcc, 'button::-p-text(Log it)');
  await expectText(vcc, 'Logged');
  await expectText(vcc, config.call_summary);
  await check(vcc, 'coordinator-logged');
  await vcc.setViewport({ width: 320, height: 800 });
  await vcc.goto(`${config.base}/app/due`, { waitUntil: 'load' });
  await check(vcc, 'coordinator-due-narrow');
  await vcc.goto(`${config.base}/app/cases/${config.case_id}`, { waitUntil: 'load' });
  await check(vcc, 'coordinator-case-narrow');

  const partner = await browser.newPage();
  await partner.setViewport({ width: 320, height: 800 });
  await signIn(partner, config.partner);
  if (!partner.url().endsWith('/app/owed')) fail(`the partner landed on ${partner.url()}`);
  await expectText(partner, config.follow_up);
  await check(partner, 'partner-owed-narrow');
  const card = await partner.$$('section.card');
  let done = false;
  for (const c of card) {
    if ((await c.evaluate((e) => e.textContent)).includes(config.follow_up)) {
      const area = await c.$('textarea');
      await area.type('Viewing date sent to the coordinator.');
      const button = await c.$('button[type=submit]');
      await Promise.all([partner.waitForNavigation({ waitUntil: 'load' }), button.click()]);
      done = true;
      break;
    }
  }
  if (!done) fail('the follow-up is not in "what we owe"');
  await expectText(partner, 'Saved');
  await check(partner, 'partner-owed-saved');
}, () => puppeteer.launch({ browser: 'firefox', executablePath: config.firefox, headless: true }));
