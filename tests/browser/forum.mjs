// The national forum (issue 25): a network's coordinator downloads the signed file of its
// figures; at the forum, an administrator registers the network by its key and the forum's
// coordinator adds two networks' files and sees them side by side, the challenge both raised
// grouped. axe-core on every page. Run by `browser::the_forum_compares_networks`.
import { readFileSync } from 'node:fs';
import { config, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

await run(async (browser) => {
  // At Northshire: the coordinator's "National forum" page, and the signed file.
  const north = await newPage(browser);
  await signIn(north, config.coordinator);
  await north.click('nav a:has-text("National forum")');
  await north.waitForLoadState('load');
  await expectText(north, 'Send figures to the national forum');
  await expectText(north, config.north_key);
  await check(north, 'network-forum');
  await north.fill('#from', config.month);
  await north.fill('#to', config.month);
  const [download] = await Promise.all([north.waitForEvent('download'), north.click('button:has-text("Download the signed file")')]);
  if (!/^fourthp-forum-bundle-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.json$/.test(download.suggestedFilename())) fail(`the file is called ${download.suggestedFilename()}`);
  const northBundle = readFileSync(await download.path(), 'utf8');
  if (JSON.parse(northBundle).public_key !== config.north_key) fail('the file is not signed with the published key');
  // A month that is not one is named.
  await north.goto(`${config.base}/app/forum/bundle?from=2026-13&to=2026-12`);
  await expectText(north, 'There is a problem');
  await check(north, 'network-forum-refused');

  // At the forum: the administrator registers Northshire by its key.
  const admin = await newPage(browser);
  await signIn(admin, { ...config.forum_admin, base: config.forum_base });
  await admin.goto(`${config.forum_base}/app/forum`);
  await expectText(admin, 'Networks registered');
  await check(admin, 'forum-admin');
  await admin.fill('#name', 'Northshire');
  await admin.fill('#public_key', 'not a key');
  await admin.click('button:has-text("Register the network")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'There is a problem');
  await check(admin, 'forum-register-refused');
  await admin.fill('#public_key', config.north_key);
  await admin.click('button:has-text("Register the network")');
  await admin.waitForLoadState('load');
  await expectText(admin, config.north_key);

  // The forum's coordinator adds both networks' files.
  const forum = await newPage(browser);
  await signIn(forum, { ...config.forum_coordinator, base: config.forum_base });
  await forum.goto(`${config.forum_base}/app/forum`);
  await expectText(forum, 'No network has sent its figures yet.');
  await check(forum, 'forum-empty');
  // A file changed after signing is refused.
  const tampered = JSON.parse(northBundle);
  tampered.content.network = 'Somewhere else';
  await forum.fill('#bundle', JSON.stringify(tampered));
  await forum.click('button:has-text("Check and add the figures")');
  await forum.waitForLoadState('load');
  await expectText(forum, 'changed after it was signed');
  await check(forum, 'forum-bad-signature');
  for (const bundle of [northBundle, config.west_bundle]) {
    await forum.fill('#bundle', bundle);
    await forum.click('button:has-text("Check and add the figures")');
    await forum.waitForLoadState('load');
  }
  await expectText(forum, 'Raised in more than one region');
  await expectText(forum, 'GP practices refusing registration without proof of address');
  await expectText(forum, 'Withheld: too few to publish');
  const columns = await forum.locator('table.table thead th').allTextContents();
  if (!columns.includes('Northshire') || !columns.includes('Westshire')) fail(`the columns: ${columns}`);
  await check(forum, 'forum-side-by-side');
});
