// Moving a caseload in (issue 26): the administrator uploads the partnership's workbook, sees
// which field each column is read into, checks every row and gets the two wrong rows named by
// row and column; then uploads the corrected workbook, checks it and loads it. axe-core on
// every page. Run by `browser::a_caseload_moves_in`.
import { config, check, fail, expectText, signIn, newPage, run } from './lib.mjs';

async function upload(page, file) {
  await page.goto(`${config.base}/app/admin/data`);
  await page.selectOption('#agency_id', { label: config.agency });
  await page.selectOption('#lead_coordinator', { label: config.lead });
  await page.setInputFiles('#caseload', file);
  await page.click('button:has-text("Upload and check the columns")');
  await page.waitForLoadState('load');
}

await run(async (browser) => {
  const admin = await newPage(browser);
  await signIn(admin, config.admin);
  await admin.click('nav a:has-text("Data in and out")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'Move a caseload in from a spreadsheet');
  await check(admin, 'data');
  // Without a file: said beside the field.
  await admin.selectOption('#agency_id', { label: config.agency });
  await admin.click('button:has-text("Upload and check the columns")');
  await admin.waitForLoadState('load');
  await expectText(admin, "Choose the caseload's file");
  await check(admin, 'data-no-file');

  // The workbook with two wrong rows.
  await upload(admin, config.problems_file);
  await expectText(admin, 'Caseload 2025');
  await expectText(admin, 'Contact log');
  if ((await admin.inputValue('#map_cases_2')) !== 'date_of_birth') fail('D.O.B. is not read as the date of birth');
  await check(admin, 'import-columns');
  await admin.click('button:has-text("Check every row")');
  await admin.waitForLoadState('load');
  await expectText(admin, '2 problems');
  const rows = await admin.locator('#problems tbody tr').allTextContents();
  if (!rows[0].includes('D.O.B.') || !rows[0].includes('is not a date that exists')) fail(`the first problem: ${rows[0]}`);
  if (!rows[1].includes('A decision needs an NRM referral first.')) fail(`the second problem: ${rows[1]}`);
  if (await admin.locator('button', { hasText: /^Load \d+ cases/ }).count() !== 0) fail('a file with problems can be loaded');
  await check(admin, 'import-problems');
  const [report] = await Promise.all([admin.waitForEvent('download'), admin.click('button:has-text("Download the check")')]);
  if (!report.suggestedFilename().endsWith('-report.csv')) fail(`the report is called ${report.suggestedFilename()}`);

  // The corrected workbook loads.
  await upload(admin, config.good_file);
  await admin.click('button:has-text("Check every row")');
  await admin.waitForLoadState('load');
  await expectText(admin, 'No problems.');
  await check(admin, 'import-checked');
  await admin.click('button:has-text("Load 5 cases")');
  await admin.waitForLoadState('load');
  await expectText(admin, '5 cases created');
  await check(admin, 'import-loaded');
});
