// A partner with no FourthP account acts from the daily email (STORIES.md): run by the
// integration test `browser::a_partner_acts_from_the_emailed_links`, which sends a real digest
// through a real SMTP server and passes its links (argv[2]). The housing officer opens the
// action's link, is told off for a missing reason, marks it done; opens the link again and is
// told it was used; answers "what happened?". The administrator then sees the agency's mailbox
// and webhook pages, and a partner with an account chooses a weekly email. Every page is
// checked with axe-core.
import { config, results, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  const inbox = await newPage(browser);
  // 1. The action's link: what is owed, and two forms. Opening it changed nothing.
  await inbox.goto(`${config.base}${config.action_link}`);
  await expectText(inbox, 'An action you owe');
  await expectText(inbox, config.case_reference);
  await expectText(inbox, 'Find emergency accommodation');
  await check(inbox, 'inbox-action');
  // "We can't do this" without a reason: the error summary, the field marked.
  await inbox.click('button:has-text("We can\'t do this")');
  await inbox.waitForLoadState('load');
  await expectText(inbox, 'There is a problem');
  await check(inbox, 'inbox-reason-missing');
  // Done, with a note.
  await inbox.fill('#note', 'Room at Hope House from Monday');
  await inbox.click('button:has-text("Done")');
  await inbox.waitForLoadState('load');
  await expectText(inbox, 'marked done');
  await check(inbox, 'inbox-done');
  // The link again: used, and it says so, offering sign-in.
  await inbox.goto(`${config.base}${config.action_link}`);
  await expectText(inbox, 'This link has been used');
  await check(inbox, 'inbox-used');

  // 2. "What happened?"
  await inbox.goto(`${config.base}${config.ask_link}`);
  await expectText(inbox, 'what happened?');
  await check(inbox, 'inbox-ask');
  await inbox.check('#answer-in_progress');
  await inbox.fill('#text', 'Viewing a flat on Friday');
  await inbox.click('button:has-text("Send to the coordinator")');
  await inbox.waitForLoadState('load');
  await expectText(inbox, 'your answer');
  await check(inbox, 'inbox-answered');

  // 3. The unsubscribe page: a button, nothing done until it is pressed.
  await inbox.goto(`${config.base}${config.unsubscribe}`);
  await expectText(inbox, 'Stop the daily email');
  await check(inbox, 'unsubscribe');

  // 4. The administrator: the agency's mailbox and webhooks, an endpoint added, its log.
  const admin = await newPage(browser);
  await signIn(admin, config.admin);
  await admin.goto(`${config.base}/app/admin/agencies/${config.housing}`);
  await expectText(admin, 'Mailbox for the daily email');
  await check(admin, 'admin-agency');
  await admin.fill('#url', 'ftp://nowhere');
  await admin.click('button:has-text("Add the endpoint")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'There is a problem');
  await check(admin, 'admin-webhook-refused');
  await admin.fill('#url', config.receiver);
  await admin.click('button:has-text("Add the endpoint")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'The signing secret');
  const secret = (await admin.textContent('.notice code')).trim();
  if (!secret.startsWith('whsec_')) fail(`no secret shown: ${secret}`);
  results.interactions.secret_shown = true;
  await check(admin, 'admin-webhook-added');
  await admin.click('a:has-text("Delivery log")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'Delivery log');
  await check(admin, 'admin-webhook-log');

  // 5. A partner with an account chooses the weekly email and makes a calendar address.
  const partner = await newPage(browser);
  await signIn(partner, config.partner);
  await partner.goto(`${config.base}/app/account`);
  await expectText(partner, 'The daily email');
  await check(partner, 'account');
  await partner.check('#digest-weekly');
  await partner.click('button:has-text("Save")');
  await partner.waitForLoadState('load');
  await expectText(partner, 'Saved.');
  await partner.click('button:has-text("Make a calendar address")');
  await partner.waitForLoadState('load');
  await expectText(partner, 'Your calendar address');
  await check(partner, 'account-calendar');
});
