// Signing in with the organisation's own account (issue 26): the housing officer clicks "Sign in
// with your organisation", chooses her organisation, signs in on its provider's own page (a real
// OpenID provider, started by the test), and lands on what her agency owes. axe-core on
// FourthP's pages. Run by `browser::a_partner_signs_in_with_her_organisation`.
import { config, check, fail, expectText, newPage, run } from './lib.mjs';

await run(async (browser) => {
  const page = await newPage(browser);
  await page.goto(`${config.base}/app/sign-in`);
  await check(page, 'sign-in');
  await page.click('a:has-text("Sign in with your organisation")');
  await page.waitForLoadState('load');
  await expectText(page, 'Choose your organisation');
  await check(page, 'organisations');
  await page.click(`a:has-text("${config.organisation}")`);
  await page.waitForLoadState('load');
  // The provider's own page, on its own address.
  if (!page.url().startsWith(config.issuer)) fail(`not at the provider: ${page.url()}`);
  await page.fill('#login', config.login);
  await page.fill('#password', 'not the password');
  await page.click('button:has-text("Sign in")');
  await page.waitForLoadState('load');
  await expectText(page, 'do not match');
  await page.fill('#login', config.login);
  await page.fill('#password', config.password);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${config.base}/app/owed**`);
  await expectText(page, 'Hana Officer');
  await expectText(page, config.action);
  await check(page, 'owed-after-organisation-sign-in');
});
