// A coordinator opens a case and records its journey (STORIES.md, story 2: the young woman
// referred by the Red Cross) in a real browser: finds a case by reference and by name, opens a
// case (its errors first), records NRM events (the lifecycle's refusal shown beside the field,
// in its words), an outcome linked to the call that led to it, and changes the team. Run by the
// integration test `browser::a_coordinator_records_a_journey`.
import { config, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  const vcc = await newPage(browser);
  await signIn(vcc, config.coordinator);

  // Find the existing case by the start of its reference, and by part of the name it is known by.
  await vcc.goto(`${config.base}/app/cases`);
  await vcc.fill('#q', config.case_reference.slice(0, 8));
  await vcc.click('button:has-text("Show cases")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, config.case_reference);
  await check(vcc, 'search-by-reference');
  await vcc.fill('#q', 'no such name');
  await vcc.click('button:has-text("Show cases")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'No case matches.');

  // Open a case: nothing chosen is refused field by field; then filled in.
  await vcc.click('a:has-text("Open a case")');
  await vcc.waitForLoadState('load');
  await check(vcc, 'open-a-case');
  await vcc.click('button:has-text("Open the case")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'There is a problem');
  await expectText(vcc, 'Choose a gender');
  await check(vcc, 'open-a-case-refused');
  await vcc.fill('#known_as', config.known_as);
  await vcc.fill('#birth_year', '2004');
  await vcc.check('#gender');
  await vcc.fill('#nationalities', 'al');
  await vcc.fill('#languages', 'sq');
  await vcc.check('#interpreter_needed');
  await vcc.check('#exploitation_types-sexual');
  await vcc.check('#jurisdiction');
  await vcc.fill('#local_authority', 'Northshire');
  await vcc.check('#nrm_consent');
  await vcc.check('#data_sharing-confidential');
  await vcc.click('button:has-text("Open the case")');
  await vcc.waitForLoadState('load');
  if (!/\/app\/cases\/[0-9a-f-]{36}$/.test(vcc.url())) fail(`opening the case led to ${vcc.url()}: ${(await vcc.textContent('main')).slice(0, 300)}`);
  await expectText(vcc, 'Stage: Intake');
  const newCase = vcc.url();
  config.results_case = newCase.split('/').pop();

  // A decision before any referral: refused, beside the field, in the lifecycle's words.
  await vcc.click('a:has-text("Record an NRM event")');
  await vcc.waitForLoadState('load');
  await check(vcc, 'record-event');
  await vcc.selectOption('#event_type', 'reasonable_grounds_decision');
  await vcc.selectOption('#decision_outcome', 'positive');
  await vcc.selectOption('#competent_authority', 'sca');
  await vcc.click('button:has-text("Record it")');
  await vcc.waitForLoadState('load');
  const beside = await vcc.textContent('#event_type-error');
  if (!beside || !beside.includes('A decision needs an NRM referral first.')) fail(`the refusal beside the field: ${beside}`);
  await check(vcc, 'record-event-refused');
  // The referral the Red Cross made, today.
  await vcc.selectOption('#event_type', 'nrm_referral_submitted');
  await vcc.selectOption('#decision_outcome', '');
  await vcc.selectOption('#competent_authority', '');
  await vcc.selectOption('#first_responder', { label: config.red_cross_name });
  await vcc.click('button:has-text("Record it")');
  await vcc.waitForLoadState('load');
  if (vcc.url() !== newCase) fail(`recording the referral led to ${vcc.url()}: ${(await vcc.textContent('main')).slice(0, 300)}`);
  await expectText(vcc, 'Stage: NRM referred');
  await expectText(vcc, 'NRM referral submitted');

  // The team: the Red Cross joins with what it does, then the housing association joins and
  // leaves again.
  await vcc.click('a:has-text("Change the team") >> nth=0');
  await vcc.waitForLoadState('load');
  await check(vcc, 'team');
  await vcc.selectOption('#agency', { label: config.housing_name });
  await vcc.fill('#role', 'Safe-house referral');
  await vcc.click('button:has-text("Save")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Safe-house referral');
  await check(vcc, 'team-added');
  await vcc.locator('tr', { hasText: config.housing_name }).locator('button').click();
  await vcc.waitForLoadState('load');
  if ((await vcc.textContent('table')).includes(config.housing_name)) fail('the housing association is still on the team');

  // On the first case: an outcome, linked to the call that led to it.
  await vcc.goto(`${config.base}/app/cases/${config.case_id}/outcome`);
  await expectText(vcc, config.call_summary);
  await check(vcc, 'record-outcome');
  await vcc.selectOption('#outcome', 'access_to_medical_treatment');
  await vcc.fill('#score', '11');
  await vcc.check('#intervention');
  await vcc.click('button:has-text("Record it")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'There is a problem');
  await check(vcc, 'record-outcome-refused');
  await vcc.fill('#score', '6');
  await vcc.fill('#evidence', 'Registered with the GP; first appointment kept.');
  await vcc.click('button:has-text("Record it")');
  await vcc.waitForLoadState('load');
  if (!vcc.url().endsWith(`/app/cases/${config.case_id}`)) fail(`recording the outcome led to ${vcc.url()}`);
  await expectText(vcc, 'Outcome: Access to medical treatment');
  await check(vcc, 'outcome-recorded');

  // A partner cannot reach these forms: the case they are not on is not found.
  const partner = await newPage(browser);
  await signIn(partner, config.partner);
  await partner.goto(`${newCase}/event`);
  await expectText(partner, 'Page not found');
  await check(partner, 'partner-record-not-found');
});
