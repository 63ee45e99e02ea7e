// End-to-end: hostile data values in the chat page, in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core from web/node_modules). Run by tests/e2e/test_hostile_values.py, which serves
// a database whose product names, channels and comments are attacks, and passes:
//   CHATBI_URL    the chat page, e.g. http://127.0.0.1:PORT/
//   HOSTILE_JSON  a JSON file {products, channels, comments, injections}: the values as stored
//   SHOTS         folder for the screenshots (one per step)
//   WEB_DIR       web/ (where playwright-core is installed)
// After every step: window.__pwned is unset, no dialog opened, no element that loads or runs anything
// (img, script, iframe, object, embed, a link, SVG image or foreignObject, an on*, href or src attribute)
// exists inside an answer card or the chart tooltip, and no request left the page's origin. The page's
// Content-Security-Policy is bypassed on purpose: it would stop inline handlers anyway, and this test is
// about the client never turning data into markup in the first place.
// Prints one line per step and exits non-zero with the failed step's message.
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCsv } from "./csv.mjs";

const env = process.env;
const require = createRequire(join(env.WEB_DIR, "package.json"));
const { chromium } = require("playwright-core");

const CHATBI_URL = env.CHATBI_URL;
const SHOTS = env.SHOTS;
const HOSTILE = JSON.parse(await readFile(env.HOSTILE_JSON, "utf8"));
const ANSWER_TIMEOUT = 60_000;
const FORMULA = /^[=+\-@\t\r]/;

const problems = [];
let step = 0;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const show = (text) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

async function shot(page, name, options = {}) {
  step += 1;
  const file = join(SHOTS, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, ...options });
  console.log(`screenshot ${file}`);
}

/** Everything in the answer cards and the chart tooltip that could load or run something. */
async function assertInert(page, where) {
  const found = await page.evaluate(() => {
    const scopes = [...document.querySelectorAll("article.card, #vg-tooltip-element")];
    const bad = [];
    for (const scope of scopes) {
      for (const el of [scope, ...scope.querySelectorAll("*")]) {
        const tag = el.tagName.toLowerCase();
        if (["img", "script", "iframe", "frame", "object", "embed", "a", "image", "foreignobject", "link", "meta", "base", "video", "audio", "source"].includes(tag)) {
          bad.push(`<${tag}> ${el.outerHTML.slice(0, 120)}`);
        }
        for (const attr of el.attributes) {
          const name = attr.name.toLowerCase();
          if (name.startsWith("on") || ["href", "xlink:href", "src", "srcdoc", "formaction", "action"].includes(name)) {
            bad.push(`${tag}[${name}=${attr.value.slice(0, 80)}]`);
          }
        }
      }
    }
    return { bad, pwned: window.__pwned, created: window.__created || [] };
  });
  check(found.pwned === undefined, `${where}: window.__pwned is ${found.pwned}`);
  check(found.bad.length === 0, `${where}: active elements from data: ${found.bad.join(" | ")}`);
  check(found.created.length === 0, `${where}: active elements were created for a moment: ${found.created.join(" | ")}`);
  check(problems.length === 0, `${where}: ${problems.join("; ")}`);
}

async function ask(page, question) {
  const box = page.locator("textarea#question");
  await box.fill(question);
  await box.press("Enter");
}

/** The n-th answer card (1-based) once it is shown, with its chart drawn when it has one. */
async function waitForCard(page, n) {
  const card = page.locator("article.card.answer").nth(n - 1);
  await card.waitFor({ state: "visible", timeout: ANSWER_TIMEOUT });
  if ((await card.locator(".chart").count()) > 0) {
    await card.locator(".chart.drawn svg").first().waitFor({ timeout: ANSWER_TIMEOUT });
  }
  return card;
}

async function askForCard(page, question) {
  const n = (await page.locator("article.card.answer").count()) + 1;
  await ask(page, question);
  const card = await waitForCard(page, n);
  check(!(await card.getAttribute("class")).includes("status-unsupported"), `"${question}" was answered`);
  return card;
}

/** Open the card's table; its cells' text, column by column ({label: [text...]}). */
async function tableColumns(card) {
  await card.getByRole("button", { name: "表格" }).click();
  const table = card.locator("table.data-table");
  await table.waitFor();
  return table.evaluate((el) => {
    const labels = [...el.querySelectorAll("thead th")].map((th) => th.textContent);
    const columns = Object.fromEntries(labels.map((label) => [label, []]));
    for (const row of el.querySelectorAll("tbody tr")) {
      [...row.querySelectorAll("td")].forEach((td, i) => columns[labels[i]].push(td.textContent));
    }
    return columns;
  });
}

function sameSet(actual, expected, what) {
  const a = new Set(actual);
  const missing = expected.filter((v) => !a.has(v));
  const extra = actual.filter((v) => !expected.includes(v));
  check(missing.length === 0 && extra.length === 0, `${what}: missing ${missing.map(show)}, unexpected ${extra.map(show)}`);
}

/** Download the card's CSV: every text cell is the value, or the value behind a quote when a spreadsheet
 * would read it as a formula; no cell starts like a formula. Returns the parsed rows. */
async function checkCsv(page, card, name, textValues) {
  const [download] = await Promise.all([page.waitForEvent("download"), card.locator('button[data-action="csv"]').click()]);
  const path = join(SHOTS, `${name}.csv`);
  await download.saveAs(path);
  const rows = parseCsv((await readFile(path, "utf8")).replace(/^\ufeff/, ""));
  const cells = rows.slice(1).flat();
  const formulas = cells.filter((cell) => FORMULA.test(cell));
  check(formulas.length === 0, `${name}.csv has cells a spreadsheet reads as formulas: ${formulas.map(show)}`);
  for (const value of textValues) {
    const expected = FORMULA.test(value) ? `'${value}` : value;
    check(cells.includes(expected), `${name}.csv holds ${show(expected)}`);
  }
  console.log(`csv ${path}: ${rows.length - 1} rows, formulas defused`);
  return rows;
}

/** Hover every bar of the card's chart: the tooltip shows the value as text. Returns the tooltip texts. */
async function hoverBars(page, card) {
  const bars = card.locator(".chart svg path[aria-roledescription='bar']");
  const count = await bars.count();
  check(count > 0, "the chart has bars");
  const texts = [];
  for (let i = 0; i < count; i++) {
    await bars.nth(i).hover({ force: true });
    const tooltip = page.locator("#vg-tooltip-element.visible");
    await tooltip.waitFor({ timeout: 5_000 });
    texts.push(await tooltip.evaluate((el) => el.textContent));
    await assertInert(page, `tooltip of bar ${i + 1}`);
  }
  return texts;
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

async function steps() {
  const context = await browser.newContext({
    viewport: { width: 1100, height: 860 },
    locale: "zh-CN",
    acceptDownloads: true,
    bypassCSP: true,
  });
  // record any active element that appears in a card or tooltip, even for a moment
  await context.addInitScript(() => {
    window.__created = [];
    const ACTIVE = "img,script,iframe,frame,object,embed,a,image,foreignObject,link,meta,base,video,audio";
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1 || !node.closest("article.card, #vg-tooltip-element")) continue;
          for (const el of [node, ...node.querySelectorAll("*")]) {
            if (el.matches(ACTIVE)) window.__created.push(el.outerHTML.slice(0, 120));
          }
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  const origin = new URL(CHATBI_URL).origin;
  page.on("dialog", async (dialog) => {
    problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
    await dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.origin !== origin) {
      problems.push(`the page fetched another origin: ${request.url()}`);
    }
  });

  // 1. the welcome screen
  await page.goto(CHATBI_URL);
  await page.locator(".welcome .chip").first().waitFor();
  await assertInert(page, "welcome");
  await shot(page, "welcome");

  // 2. a detail list of comments: the comments (prompt injections included) are shown as text. (Asked
  // first: after a breakdown, the parser reads "列出评价内容" as a follow-up of the breakdown.)
  const detail = await askForCard(page, "列出评价内容");
  const detailColumns = await tableColumns(detail);
  sameSet([...new Set(detailColumns["评价内容"])], HOSTILE.comments, "the table's comments");
  await assertInert(page, "comments");
  const injection = detail.locator("table.data-table td", { hasText: HOSTILE.injections[0] }).first();
  await injection.evaluate((el) => el.scrollIntoView({ block: "center", inline: "nearest" }));
  await shot(page, "comments-table");
  await checkCsv(page, detail, "comments", HOSTILE.comments);

  // 3. a breakdown by product: the headline names the top product as text; the chart's labels and
  // tooltips show the values as text
  const products = await askForCard(page, "各产品的工单量");
  const headline = await products.locator(".headline").evaluate((el) => el.textContent);
  check(headline.includes(HOSTILE.products[0]), `the headline shows the top product as text: ${show(headline)}`);
  const labels = await products.locator(".chart svg text").evaluateAll((els) => els.map((el) => el.textContent));
  check(labels.some((text) => text.startsWith("<img src=x")), `the axis shows the markup as text: ${labels.map(show)}`);
  await assertInert(page, "breakdown by product");
  await shot(page, "products-chart");
  const tooltips = await hoverBars(page, products);
  for (const value of HOSTILE.products.filter((v) => v.length < 200)) {
    check(tooltips.some((text) => text.includes(value)), `a tooltip shows ${show(value)} as text`);
  }
  await products.locator(".chart svg path[aria-roledescription='bar']").first().hover({ force: true });
  await page.locator("#vg-tooltip-element.visible").waitFor();
  await shot(page, "products-tooltip");
  await page.mouse.move(5, 5);

  // 4. the client redraws the chart from the data as bars and as a line: the values stay text there too
  for (const kind of ["bar", "line"]) {
    await products.locator(`button.seg[data-kind="${kind}"]`).click();
    const mark = kind === "bar" ? "bar" : "line mark";
    await products.locator(`.chart svg path[aria-roledescription='${mark}']`).first().waitFor({ timeout: 10_000 });
    const redrawn = await products.locator(".chart svg text").evaluateAll((els) => els.map((el) => el.textContent));
    check(redrawn.some((text) => text.startsWith("<img src=x")), `the ${kind} chart shows the markup as text`);
    await assertInert(page, `${kind} chart rebuilt by the client`);
  }
  await products.locator(".chart").scrollIntoViewIfNeeded();
  await shot(page, "products-line");
  await products.locator('button.seg[data-kind="original"]').click();

  // 5. its table shows every product exactly as stored
  const columns = await tableColumns(products);
  sameSet(columns["产品"], HOSTILE.products, "the table's products");
  await assertInert(page, "products table");
  await products.locator("table.data-table").scrollIntoViewIfNeeded();
  await shot(page, "products-table");
  const pageWidth = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(pageWidth[0] <= pageWidth[1], `the 5000-character name does not widen the page: ${pageWidth}`);
  const cardBox = await products.boundingBox();
  check(cardBox.x + cardBox.width <= 1100, `the card stays in the window: ${JSON.stringify(cardBox)}`);
  const long = products.locator("table.data-table td", { hasText: "长长长长长" });
  await long.scrollIntoViewIfNeeded();
  const region = await products.locator(".table-scroll").evaluate((el) => ({
    scroll: el.scrollWidth,
    client: el.clientWidth,
    numbers: Math.round(el.querySelector("thead th:last-child").getBoundingClientRect().left - el.getBoundingClientRect().left + el.scrollLeft),
  }));
  console.log(
    `table with the 5000-character name: ${region.scroll} px wide in a ${region.client} px region; ` +
      `its number column starts at ${region.numbers} px`,
  );
  await shot(page, "products-table-long-value");

  // 6. its CSV: values as stored, formulas defused
  await checkCsv(page, products, "products", HOSTILE.products);

  // 7. suggestion chips are plain text buttons; "by channel" answers by channel (formulas and markup)
  const chips = products.locator(".chips.suggestions button.chip");
  check((await chips.count()) > 0, "the card offers suggestions");
  const chipMarkup = await chips.evaluateAll((els) => els.filter((el) => el.children.length > 0).map((el) => el.outerHTML));
  check(chipMarkup.length === 0, `suggestion chips hold only text: ${chipMarkup}`);
  const byChannel = products.locator(".chips.suggestions button.chip", { hasText: "渠道" });
  check((await byChannel.count()) === 1, "a suggestion breaks the answer down by channel");
  const before = await page.locator("article.card.answer").count();
  await byChannel.click();
  const channels = await waitForCard(page, before + 1);
  const axis = await channels.locator(".chart svg text").evaluateAll((els) => els.map((el) => el.textContent));
  check(axis.some((text) => text.includes("<b>电话</b>")), `the axis shows the markup as text: ${axis.map(show)}`);
  check((await channels.locator(".headline").textContent()).includes(HOSTILE.channels[0]), "the headline names the top channel");
  await assertInert(page, "breakdown by channel");
  await channels.scrollIntoViewIfNeeded();
  await shot(page, "channels");
  await checkCsv(page, channels, "channels", HOSTILE.channels);

  // 8. products by channel: a heat map with both kinds of values on its axes
  const grid = await askForCard(page, "各产品按渠道的工单量");
  const gridLabels = await grid.locator(".chart svg text").evaluateAll((els) => els.map((el) => el.textContent));
  check(gridLabels.some((text) => text.startsWith("<script>")), `the heat map shows the markup as text: ${gridLabels.map(show)}`);
  await assertInert(page, "heat map of products by channel");
  await grid.locator(".chart").scrollIntoViewIfNeeded();
  await shot(page, "products-by-channel");
  await checkCsv(page, grid, "products-by-channel", [...HOSTILE.products, ...HOSTILE.channels]);

  // 9. the SQL panel: a question filtering on a value with markup shows it inside the SQL text
  const question = "<b>电话</b>的工单量";
  const filtered = await askForCard(page, question);
  check((await page.locator(".bubble.question").last().evaluate((el) => el.textContent)).includes(question), "the question is shown as typed");
  await filtered.getByRole("button", { name: "SQL 与查询" }).click();
  const code = await filtered.locator("pre.code").allTextContents();
  check(code.some((text) => text.includes("'<b>电话</b>'")), `the SQL shows the value as a literal: ${code.map(show)}`);
  check(code.some((text) => text.includes('"<b>电话</b>"')), "the query shows the value as a JSON string");
  check((await page.locator("main b").count()) === 0, "no <b> element anywhere in the conversation");
  await assertInert(page, "SQL panel");
  await filtered.locator("pre.code").first().scrollIntoViewIfNeeded();
  await shot(page, "sql-panel");

  // 10. a URL in the data is text in the narrative, not a link
  const url = await askForCard(page, "https://evil.example/phish的工单量");
  const narrative = await url.evaluate((el) => el.textContent);
  check(narrative.includes("https://evil.example/phish"), `the URL is shown as text: ${show(narrative)}`);
  await assertInert(page, "URL value");
  await shot(page, "url-value");

  // 11. the history after a reload renders the same answers just as inertly
  const cards = await page.locator("article.card.answer").count();
  await page.reload();
  await waitForCard(page, cards);
  await page.waitForTimeout(300);
  await assertInert(page, "reloaded history");
  await page.locator("article.card.answer").first().scrollIntoViewIfNeeded();
  await shot(page, "reloaded-history");

  // 12. a phone-sized screen: the long and the bidi names do not push anything out of the window
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(400);
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(width[0] <= width[1], `nothing widens the page at 360 px: ${width}`);
  const first = page.locator("article.card.answer").first();
  await first.evaluate((el) => el.scrollIntoView({ block: "start" }));
  const box = await first.boundingBox();
  check(box.x >= 0 && box.x + box.width <= 360, `the card fits 360 px: ${JSON.stringify(box)}`);
  await assertInert(page, "phone");
  await shot(page, "phone-360");

  // 13. control: the same markup put into a card with innerHTML does run and is caught, so the checks
  // above would have seen an injection
  await page.evaluate((markup) => {
    const box = document.createElement("div");
    box.innerHTML = markup;
    document.querySelector("article.card.answer").appendChild(box);
  }, HOSTILE.products[0]);
  await page.waitForFunction(() => window.__pwned === 1, null, { timeout: 5_000 });
  const caught = await assertInert(page, "control").then(
    () => "",
    (error) => error.message,
  );
  check(caught.includes("window.__pwned is 1"), `the control injection was caught: ${caught}`);
  console.log("control: markup inserted with innerHTML ran (window.__pwned = 1) and was caught");
  return context;
}

let failed = null;
try {
  const started = Date.now();
  const context = await steps();
  await context.close();
  console.log(`ok hostile values (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (error) {
  failed = error;
}
await browser.close();
if (failed) {
  console.error(`FAILED after screenshot ${step}: ${failed.message}`);
  if (problems.length) console.error(`browser:\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("all hostile-value steps passed");
