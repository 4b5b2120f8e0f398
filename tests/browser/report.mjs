// A commissioner pulls the outcome report (STORIES.md) in a real browser: the form, the printable
// report with its charts, the CSV; an auditor verifies the trail and reads a case's access log.
// Run by the integration test `browser::a_commissioner_pulls_the_report`.
import { readFileSync } from 'node:fs';
import { config, check, fail, expectText, machineWords, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  const page = await newPage(browser);
  await signIn(page, config.commissioner);
  if (!page.url().endsWith('/app/reports')) fail(`the commissioner landed on ${page.url()}`);
  await expectText(page, 'Outcome report');
  await check(page, 'commissioner-report-form');
  await page.click('button:has-text("Show the report")');
  await page.waitForLoadState('load');
  await expectText(page, 'figures as at');
  if ((await page.locator('svg').count()) < 1) fail('the printable report has no chart');
  await check(page, 'commissioner-report');
  await page.goBack();
  await page.check('#format-csv');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Show the report")')]);
  const name = download.suggestedFilename();
  if (!/^fourthp-outcomes-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/.test(name)) fail(`the CSV is called ${name}`);
  // The page's CSV is for a person: headings and values in people's words.
  const csvText = readFileSync(await download.path(), 'utf8');
  if (!csvText.startsWith('Section,Measure,Category,Figure,')) fail(`the CSV's headings: ${csvText.split('\n')[0]}`);
  const codes = machineWords(csvText);
  if (codes.length > 0) fail(`the CSV shows machine words: ${[...new Set(codes)].slice(0, 10).join(', ')}`);
  // A period that is not whole months cannot be asked for here; a month typed wrongly is named.
  await page.goto(`${config.base}/app/reports?from=2025-13&to=2025-12`);
  await expectText(page, 'There is a problem');
  await check(page, 'commissioner-report-refused');

  // The auditor verifies the trail, then looks at who read a case.
  const auditor = await newPage(browser);
  await signIn(auditor, config.auditor);
  if (!auditor.url().endsWith('/app/audit')) fail(`the auditor landed on ${auditor.url()}`);
  await check(auditor, 'auditor-home');
  await auditor.click('button:has-text("Verify now")');
  await auditor.waitForLoadState('load');
  await expectText(auditor, 'The trail verifies.');
  await check(auditor, 'auditor-verified');
  // By the case's reference (as on a complaint), or its id.
  await auditor.fill('#case', config.case_reference);
  await auditor.click('button:has-text("Show its access log")');
  await auditor.waitForLoadState('load');
  await expectText(auditor, config.coordinator_sub);
  await check(auditor, 'auditor-access-log');
  // An administrator adds an account (its enrolment link shown once) and deactivates the
  // auditor's: the auditor's open session is refused on its next request.
  const admin = await newPage(browser);
  await signIn(admin, config.admin);
  if (!admin.url().endsWith('/app/admin/users')) fail(`the administrator landed on ${admin.url()}`);
  await check(admin, 'admin-users');
  await admin.fill('#email', 'new.commissioner@northshire-pcc.example');
  await admin.fill('#display_name', 'New Commissioner');
  await admin.selectOption('#role', 'commissioner');
  await admin.click('button:has-text("Add the account")');
  await admin.waitForLoadState('load');
  const link = (await admin.textContent('#enrolment-link')).trim();
  if (!link.includes('/app/enrol/')) fail(`no enrolment link: ${link}`);
  await check(admin, 'admin-user-added');
  await admin.click(`button:has-text("Deactivate"):has-text("${config.auditor.email}")`);
  await admin.waitForLoadState('load');
  await expectText(admin, 'Deactivated');
  await auditor.goto(`${config.base}/app/audit`);
  if (!auditor.url().endsWith('/app/sign-in')) fail('a deactivated account still reached a page');

  // The administrator registers an agency (refused without its kind first), then deactivates it.
  await admin.click('a:has-text("Agencies")');
  await admin.waitForLoadState('load');
  await check(admin, 'admin-agencies');
  await admin.fill('#name', 'Northshire Modern Slavery Helpline');
  await admin.click('button:has-text("Register the agency")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'Choose what kind of agency it is');
  await check(admin, 'admin-agency-refused');
  await admin.selectOption('#kind', 'ngo');
  await admin.fill('#contact_email', 'referrals@helpline.example');
  await admin.click('button:has-text("Register the agency")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'Northshire Modern Slavery Helpline is registered.');
  await admin.click('button:has-text("Deactivate"):has-text("Northshire Modern Slavery Helpline")');
  await admin.waitForLoadState('load');
  if (!(await admin.locator('tr', { hasText: 'Northshire Modern Slavery Helpline' }).textContent()).includes('Inactive')) fail('the agency was not deactivated');
  // A partner system: no agency for a partner's system is refused beside the field; registered,
  // its secret is shown once; then revoked.
  await admin.click('a:has-text("API clients")');
  await admin.waitForLoadState('load');
  await check(admin, 'admin-api-clients');
  await admin.fill('#name', 'Northshire Homes case system');
  await admin.selectOption('#role', 'partner');
  await admin.click('button:has-text("Register the system")');
  await admin.waitForLoadState('load');
  if (!(await admin.textContent('#agency-error') || '').includes('agency')) fail('a partner system without an agency was not refused beside the field');
  await check(admin, 'admin-api-client-refused');
  await admin.selectOption('#agency', { index: 1 });
  await admin.click('button:has-text("Register the system")');
  await admin.waitForLoadState('load');
  const secret = (await admin.textContent('#client-secret')).trim();
  if (secret.length < 40) fail('no client secret shown');
  await check(admin, 'admin-api-client-registered');
  await admin.goto(`${config.base}/app/admin/api-clients`);
  if ((await admin.textContent('main')).includes(secret)) fail('the secret was shown twice');
  await admin.click('button:has-text("Revoke")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'Revoked');

  // The commissioner may not see the trail.
  await page.goto(`${config.base}/app/audit`);
  await expectText(page, 'You cannot use this page');
});
