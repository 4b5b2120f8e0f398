// Subject access (issue 26, story 8 carried on): the data protection officer finds the
// survivor's case by the reference on her letter, records her request (a date in the future is
// refused on the page), sees the month it is due, reads the copy with other people's details
// withheld and who looked at her record, and prints it; the coordinator sees the request on
// "What is due" and marks it answered. axe-core on every page.
// Run by `browser::a_survivor_gets_her_copy`.
import { config, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  const dpo = await newPage(browser);
  await signIn(dpo, config.dpo);
  await dpo.click('nav a:has-text("Subject access")');
  await dpo.waitForLoadState('load');
  await expectText(dpo, 'Requests waiting for an answer');
  await check(dpo, 'subject-access-list');
  await dpo.fill('#reference', '2026-99999');
  await dpo.click('button:has-text("Find the case")');
  await dpo.waitForLoadState('load');
  await expectText(dpo, 'There is a problem');
  await check(dpo, 'subject-access-not-found');
  await dpo.fill('#reference', config.reference);
  await dpo.click('button:has-text("Find the case")');
  await dpo.waitForLoadState('load');
  await expectText(dpo, `Subject access: case ${config.reference}`);
  await expectText(dpo, 'No request has been recorded for this case.');
  // A day that has not come yet is refused, beside the field.
  await dpo.fill('#received_on', config.tomorrow);
  await dpo.click('button:has-text("Record the request")');
  await dpo.waitForLoadState('load');
  await expectText(dpo, 'must be today or earlier');
  await check(dpo, 'subject-access-refused');
  await dpo.fill('#received_on', config.received_on);
  await dpo.click('button:has-text("Record the request")');
  await dpo.waitForLoadState('load');
  await expectText(dpo, config.due_words);
  await expectText(dpo, 'Lena registered; [withheld] at reception');
  await expectText(dpo, 'Elsewhere NGO');
  // Nationalities and languages by name, not by their ISO codes.
  await expectText(dpo, 'Romania');
  await expectText(dpo, 'Romanian');
  const body = await dpo.textContent('body');
  for (const gone of ['Priya Shah', '07700', 'Marek']) if (body.includes(gone)) fail(`the copy shows ${gone}`);
  await check(dpo, 'subject-access-copy');
  // Printed: the copy without the service's header, navigation or forms.
  await dpo.emulateMedia({ media: 'print' });
  if (await dpo.locator('header.header').isVisible()) fail('the header prints');
  if (await dpo.locator('form').first().isVisible()) fail('a form prints');
  if (!(await dpo.locator('#copy-title').isVisible())) fail('the copy does not print');
  const pdf = await dpo.pdf({ path: `${config.screenshots}/subject-access-copy.pdf`, format: 'A4' });
  if (pdf.length < 10000) fail(`the printed copy is ${pdf.length} bytes`);
  await dpo.emulateMedia({ media: 'screen' });

  // The coordinator sees it on the board and marks it answered.
  const vcc = await newPage(browser);
  await signIn(vcc, config.coordinator);
  await vcc.goto(`${config.base}/app/due`);
  await expectText(vcc, 'Subject access requests');
  await check(vcc, 'due-with-subject-access');
  await vcc.click(`a:has-text("${config.reference}") >> nth=-1`);
  await vcc.waitForLoadState('load');
  await vcc.click('button:has-text("Mark answered")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Answered on');
  await check(vcc, 'subject-access-answered');
});
