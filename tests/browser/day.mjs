// A coordinator's and a partner's day (STORIES.md) in a real browser; run by the integration
// test `browser::a_coordinators_and_a_partners_day`, which sets up the accounts and the case and
// passes them as JSON (argv[2]). Prints one JSON line of results; exits non-zero on a failure.
import { config, results, check, fail, expectText, signIn, totp, newPage, run } from './lib.mjs';

await run(async (browser) => {
  // 0. The coordinator enrols through the link an administrator passed on: a password, the
  //    authenticator set up from the QR code's key, the recovery codes shown once, a first code.
  const vcc = await newPage(browser);
  await vcc.goto(`${config.base}/app/enrol/${config.coordinator.enrolment_token}`);
  await expectText(vcc, 'Set up your account');
  await check(vcc, 'enrol-password');
  await vcc.fill('#password', 'password');
  await vcc.click('button:has-text("Continue")');
  await expectText(vcc, 'There is a problem');
  await check(vcc, 'enrol-password-refused');
  await vcc.fill('#password', config.coordinator.password);
  await vcc.click('button:has-text("Continue")');
  await vcc.waitForLoadState('load');
  if (await vcc.locator('.qr svg').count() !== 1) fail('no QR code on the enrolment page');
  const codes = await vcc.locator('.codes li').count();
  if (codes !== 10) fail(`${codes} recovery codes shown`);
  await check(vcc, 'enrol-authenticator');
  config.coordinator.totp_secret = (await vcc.textContent('.secret')).trim();
  await vcc.fill('#code', totp(config.coordinator.totp_secret));
  await vcc.click('button:has-text("Confirm")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'You have set up your account');
  // The code just used is never accepted again: sign in with the next one.
  config.coordinator.step_offset = 1;

  // 1. The coordinator signs in with a TOTP code and lands on "What is due".
  const weights = [];
  vcc.on('response', async (r) => { try { weights.push((await r.body()).length); } catch { /* redirects have none */ } });
  await signIn(vcc, config.coordinator);
  if (!vcc.url().endsWith("/app/due")) fail(`the coordinator landed on ${vcc.url()}: ${(await vcc.textContent("main")).slice(0, 300)}; cookies: ${JSON.stringify((await vcc.context().cookies()).map((c) => c.name))}`);
  await expectText(vcc, 'What is due');
  await expectText(vcc, config.case_reference);
  // A count of cases by stage: this network's one case, at intake.
  if ((await vcc.textContent('.stages')).replace(/\s+/g, ' ').trim() !== '1 Intake') fail(`stage counts: ${await vcc.textContent('.stages')}`);
  await check(vcc, 'coordinator-due');
  // Filtered by a rule that has nothing due: the case is not listed.
  await vcc.selectOption('#rule', 'rg_decision_expected');
  await vcc.click('button:has-text("Show")');
  await vcc.waitForLoadState('load');
  if ((await vcc.textContent('main')).includes(config.case_reference)) fail('the rule filter did not filter');
  await vcc.goto(`${config.base}/app/due`);
  results.weights.due = weights.reduce((a, b) => a + b, 0);

  // The coordinator opens the case from the queue and logs a call with a follow-up owed by the
  // housing association, counting every keystroke-or-click beyond typing the summary.
  await vcc.click(`a:has-text("${config.case_reference}")`);
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Log a call');
  await check(vcc, 'coordinator-case');
  let n = 0;
  const act = async (f) => { n += 1; await f(); };
  // The summary has the focus when the page opens.
  const focused = await vcc.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== 'summary') fail(`the summary does not have the focus (${focused})`);
  await vcc.keyboard.type(config.call_summary);
  await act(() => vcc.selectOption('#counterpart', { label: config.housing_name }));
  await act(() => vcc.click('#follow_up'));
  await act(() => vcc.keyboard.type(config.follow_up));
  await act(() => vcc.selectOption('#follow_up_owner', { label: config.housing_name }));
  await act(() => vcc.fill('#follow_up_due', config.follow_up_due));
  await act(() => vcc.click('button:has-text("Log it")'));
  await vcc.waitForLoadState('load');
  results.interactions.log_call = n;
  await expectText(vcc, 'Logged');
  await expectText(vcc, config.call_summary);
  await check(vcc, 'coordinator-logged');
  // The GP-access need, identified nine days ago, met today: one click (the date is today's).
  await act(() => vcc.click('form.met-form button'));
  results.interactions.need_met = 1;
  await vcc.waitForLoadState('load');
  if ((await vcc.locator('form.met-form').count()) !== 0) fail('the need is still open');
  await check(vcc, 'coordinator-need-met');
  // Waiving a deadline needs a reason: refused without one (the error beside the field), then
  // waived with one. The first open deadline is the seeded action's due date.
  const openBefore = await vcc.locator('details.details').count();
  await vcc.locator('details.details summary').first().click();
  await vcc.locator('details.details button:has-text("Waive it")').first().click();
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'There is a problem');
  await check(vcc, 'coordinator-waive-refused');
  await vcc.locator('details.details[open] input[name=reason]').fill('Agreed at the team meeting: the viewing was arranged another way.');
  await vcc.locator('details.details[open] button:has-text("Waive it")').click();
  await vcc.waitForLoadState('load');
  if ((await vcc.locator('details.details').count()) !== openBefore - 1) fail('the deadline was not waived');
  // What is due says what (the follow-up's own words), whose, and for which case.
  await vcc.goto(`${config.base}/app/due`);
  await expectText(vcc, config.follow_up);
  await expectText(vcc, config.housing_name);
  await expectText(vcc, config.case_reference);

  // A wrong code: one error, linked to the field, nothing else said.
  const other = await newPage(browser);
  await other.goto(`${config.base}/app/sign-in`);
  await other.fill('#email', config.coordinator.email);
  await other.fill('#password', 'not the password at all');
  await other.fill('#code', '000000');
  await other.click('button[type=submit]:has-text("Sign in")');
  await expectText(other, 'There is a problem');
  await check(other, 'sign-in-refused');

  // 2. The housing association's partner signs in, sees the action in "What we owe" and
  //    completes it with a note.
  const partner = await newPage(browser);
  await signIn(partner, config.partner);
  if (!partner.url().endsWith('/app/owed')) fail(`the partner landed on ${partner.url()}`);
  await expectText(partner, config.action_description);
  await expectText(partner, config.follow_up);
  // Each action says which case it is for, and who asked.
  await expectText(partner, config.case_reference);
  await expectText(partner, 'Asked by');
  await check(partner, 'partner-owed');
  const card = partner.locator('section.card', { hasText: config.action_description });
  await card.locator('textarea').fill('Viewing booked for Thursday; keys with the support worker.');
  await card.locator('button[type=submit]').click();
  await partner.waitForLoadState('load');
  await expectText(partner, 'Saved');
  await check(partner, 'partner-owed-saved');
  const left = await partner.textContent('main');
  if (left.includes(config.action_description)) fail('the completed action is still listed');

  // The coordinator sees it done on the case's timeline.
  await vcc.goto(`${config.base}/app/cases/${config.case_id}`);
  await expectText(vcc, 'Viewing booked for Thursday');
  await check(vcc, 'coordinator-case-done');

  // A partner of another agency is told the case is not found, like a case that does not exist.
  const stranger = await newPage(browser);
  await signIn(stranger, config.stranger);
  await stranger.goto(`${config.base}/app/cases/${config.case_id}`);
  await expectText(stranger, 'Page not found');
  await check(stranger, 'stranger-not-found');

  // The cases the partner's agency is on, and one's status (no personal record).
  await partner.goto(`${config.base}/app/cases`);
  await expectText(partner, config.case_reference);
  await check(partner, 'partner-cases');
  await partner.click(`a:has-text("${config.case_reference}")`);
  await partner.waitForLoadState('load');
  await expectText(partner, 'What your agency owes');
  await expectText(partner, config.follow_up);
  const shown = await partner.textContent('main');
  if (shown.includes(config.call_summary)) fail('the partner sees the coordinator\'s call summary');
  await check(partner, 'partner-case-status');
  // The partner logs their own agency's call about the case.
  await partner.fill('#summary', config.partner_summary);
  await partner.selectOption('#counterpart', { index: 1 });
  await partner.click('button:has-text("Log it")');
  await partner.waitForLoadState('load');
  await expectText(partner, 'Logged. The coordinator can see it now.');
  await check(partner, 'partner-logged');

  // The coordinator's case list.
  await vcc.goto(`${config.base}/app/cases`);
  await expectText(vcc, config.case_reference);
  await check(vcc, 'coordinator-cases');
  await vcc.goto(`${config.base}/app/cases/${config.case_id}`);
  // The coordinator closes the follow-up from the case page: it will not be done.
  const followUp = vcc.locator('section.card', { hasText: config.follow_up });
  await followUp.locator('input[value=cancelled]').check();
  await followUp.locator('textarea').fill('The housing officer confirmed the date by email instead.');
  await followUp.locator('button[type=submit]').click();
  await vcc.waitForLoadState('load');
  if (!vcc.url().includes(`/app/cases/${config.case_id}`)) fail(`closing an action from the case page led to ${vcc.url()}`);
  await expectText(vcc, 'No action is open.');
  await check(vcc, 'coordinator-action-cancelled');

  // 3. Their sessions, and signing out.
  await partner.goto(`${config.base}/app/sessions`);
  await expectText(partner, 'this session');
  await check(partner, 'partner-sessions');
  await partner.click('button:has-text("Sign out")');
  await partner.waitForLoadState('load');
  await expectText(partner, 'You have signed out');
  await partner.goto(`${config.base}/app/owed`);
  if (!partner.url().endsWith('/app/sign-in')) fail('a signed-out browser still reached a page');

  // At 320 CSS pixels wide (a small phone, or 200% zoom on a small laptop) nothing scrolls sideways.
  await vcc.setViewportSize({ width: 320, height: 800 });
  for (const path of ['/app/due', `/app/cases/${config.case_id}`, '/app/cases']) {
    await vcc.goto(`${config.base}${path}`);
    const wide = await vcc.evaluate(() => document.documentElement.scrollWidth);
    if (wide > 320) fail(`${path} is ${wide} px wide at 320`);
    await check(vcc, `narrow${path.replace(/\//g, '-')}`.slice(0, 40));
  }
  await vcc.setViewportSize({ width: 1280, height: 800 });

  // 4. A page that does not exist is the service's not-found page.
  await vcc.goto(`${config.base}/app/no-such-page`);
  await expectText(vcc, 'Page not found');
  await check(vcc, 'not-found');
});
