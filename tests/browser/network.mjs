// The network's own work (issue 25), run by the integration test
// `browser::the_network_works_a_challenge`: the housing association's partner raises a challenge
// (warned first about a case reference in its text), the coordinator accepts it and gives the
// police an action, the police partner closes it from "What we owe", and the coordinator
// resolves the challenge. Every page is checked with axe-core and for people's words.
import { config, results, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  // 1. The housing partner raises a challenge; the case reference in it is warned of.
  const housing = await newPage(browser);
  await signIn(housing, config.housing);
  await housing.goto(`${config.base}/app/challenges`);
  await expectText(housing, 'Challenge board');
  await check(housing, 'board-empty');
  await housing.click('a:has-text("Raise a challenge")');
  await housing.waitForLoadState('load');
  await check(housing, 'raise');
  await housing.fill('#title', config.title);
  await housing.fill('#description', `${config.what} As with case ${config.case_reference}.`);
  await housing.check('#urgency-soon');
  await housing.click('button:has-text("Raise the challenge")');
  await housing.waitForLoadState('load');
  await expectText(housing, 'looks like a case reference');
  await check(housing, 'raise-warned');
  // Taken out, and saved.
  await housing.fill('#description', config.what);
  await housing.click('button:has-text("Raise the challenge")');
  await housing.waitForLoadState('load');
  await expectText(housing, 'Challenge 1');
  await expectText(housing, 'Raised');
  await check(housing, 'challenge-raised');
  const challenge = housing.url();
  if (!/\/app\/challenges\/[0-9a-f-]{36}$/.test(challenge)) fail(`landed on ${challenge}`);
  if ((await housing.textContent('main')).includes('Decide')) fail('a partner is offered the decision');

  // 2. The coordinator accepts it and gives the police an action.
  const vcc = await newPage(browser);
  await signIn(vcc, config.coordinator);
  await vcc.goto(`${config.base}/app/challenges`);
  await expectText(vcc, config.title);
  await check(vcc, 'board');
  await vcc.goto(challenge);
  await check(vcc, 'challenge-coordinator');
  await vcc.check('#to');
  await vcc.click('button:has-text("Save the decision")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Accepted for the network');
  // At the meeting: the agenda lists it in hand; opened from there, its action goes into the
  // minutes.
  await vcc.goto(`${config.base}/app/meetings/${config.meeting}`);
  await expectText(vcc, 'Challenges in hand');
  await check(vcc, 'agenda');
  await vcc.click(`a:has-text("Challenge 1: ${config.title}")`);
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Opened from a meeting');
  await vcc.fill('#description', config.action);
  await vcc.selectOption('#owner', { label: config.police_name });
  await vcc.fill('#due_on', config.due_on);
  await vcc.click('button:has-text("Give out the action")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, config.action);
  await expectText(vcc, config.police_name);
  await check(vcc, 'challenge-action-given');
  // The coordinator's queue shows what the network owes beside the casework.
  await vcc.goto(`${config.base}/app/due`);
  await expectText(vcc, 'What the network owes');
  await expectText(vcc, config.action);
  await check(vcc, 'due-network');
  await vcc.goto(`${config.base}/app/meetings/${config.meeting}/minutes`);
  await expectText(vcc, config.action);
  await check(vcc, 'minutes');

  // 3. The police partner sees it in what they owe, named by its challenge, and closes it.
  const police = await newPage(browser);
  await signIn(police, config.police);
  if (!police.url().endsWith('/app/owed')) fail(`the police partner landed on ${police.url()}`);
  await expectText(police, config.action);
  await expectText(police, 'Challenge 1');
  await check(police, 'police-owed');
  const card = police.locator('section.card', { hasText: config.action });
  await card.locator('textarea').fill(config.closing_note);
  await card.locator('button[type=submit]').click();
  await police.waitForLoadState('load');
  await expectText(police, 'Saved');
  await check(police, 'police-owed-saved');

  // 4. The coordinator sees it done and resolves the challenge with what changed.
  await vcc.goto(challenge);
  await expectText(vcc, config.closing_note);
  await vcc.check('#to-resolved');
  await vcc.fill('#note', config.what_changed);
  await vcc.click('button:has-text("Save the decision")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Resolved');
  await expectText(vcc, config.what_changed);
  await check(vcc, 'challenge-resolved');
  results.interactions.resolved = true;

  // 5. The coordinator schedules the next meeting: its agenda shows the challenge resolved.
  await vcc.goto(`${config.base}/app/meetings`);
  await check(vcc, 'meetings');
  await vcc.fill('#title', 'Northshire anti-slavery network meeting');
  await vcc.fill('#starts_at', config.next_starts);
  await vcc.fill('#ends_at', config.next_ends);
  await vcc.fill('#place', 'Town hall, committee room 2');
  await vcc.click('button:has-text("Schedule the meeting")');
  await vcc.waitForLoadState('load');
  await expectText(vcc, 'Resolved since the meeting of');
  const resolved = await vcc.textContent('main');
  const after = resolved.slice(resolved.indexOf('Resolved since'));
  if (!after.includes(config.title)) fail('the next agenda does not show the challenge resolved');
  await check(vcc, 'agenda-next');
});
