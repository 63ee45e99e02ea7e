// End-to-end: the chat page and the widget in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core from web/node_modules; no browser download). Run by tests/e2e/test_browser.py, which
// starts the real server and a portal page on another origin, and passes:
//   CHATBI_URL      the chat page, e.g. http://127.0.0.1:PORT/
//   PORTAL_URL      a page on another origin embedding the widget with one script tag (through a /chatbi/ prefix)
//   WIDGET_TOKEN    the token the portal's script tag carries (checked on the widget's API calls)
//   SHOTS           folder for the screenshots (one per step)
//   WEB_DIR         web/ (where playwright-core is installed)
//   SKIP_ASK=1      when the server has no /api/ask yet: only the steps that do not ask run
//   LLM_CHAT_URL    the chat page of a server whose LLM is a scripted OpenAI-protocol server
// Prints one line per step and exits non-zero with the failed step's message.
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCsv } from "./csv.mjs";

const env = process.env;
const require = createRequire(join(env.WEB_DIR, "package.json"));
const { chromium } = require("playwright-core");

const CHATBI_URL = env.CHATBI_URL;
const PORTAL_URL = env.PORTAL_URL;
const SHOTS = env.SHOTS;
const SKIP_ASK = env.SKIP_ASK === "1";
const LLM_CHAT_URL = env.LLM_CHAT_URL;
const ANSWER_TIMEOUT = 60_000;

const problems = [];
let step = 0;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name, options = {}) {
  step += 1;
  const file = join(SHOTS, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, ...options });
  console.log(`screenshot ${file}`);
}

function watchConsole(page, where) {
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${where} console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${where} page error: ${error.message}`));
}

/** The answer cards, and waiting for the n-th one (1-based) with its chart drawn when it has one. */
async function waitForCard(scope, n) {
  const card = scope.locator("article.card.answer").nth(n - 1);
  await card.waitFor({ state: "visible", timeout: ANSWER_TIMEOUT });
  if ((await card.locator(".chart").count()) > 0) {
    await card.locator(".chart.drawn svg, .chart.drawn canvas").first().waitFor({ timeout: ANSWER_TIMEOUT });
  }
  return card;
}

async function ask(page, scope, question) {
  const box = scope.locator("textarea#question");
  await box.fill(question);
  await box.press("Enter");
}

/** Nothing in `scope` sticks out of its box horizontally (clipped or overflowing text). */
async function assertNoHorizontalOverflow(scope, selector) {
  const overflowing = await scope.locator(selector).evaluateAll((elements) =>
    elements
      .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible")
      .map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`),
  );
  check(overflowing.length === 0, `content wider than its box: ${overflowing.join("; ")}`);
}

async function chatSteps(browser) {
  const context = await browser.newContext({
    viewport: { width: 1100, height: 860 },
    locale: "zh-CN",
    acceptDownloads: true,
  });
  const page = await context.newPage();
  watchConsole(page, "chat page");
  const chatOrigin = new URL(CHATBI_URL).origin;
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.origin !== chatOrigin) {
      problems.push(`the chat page fetched another origin: ${request.url()}`);
    }
  });

  // 1. the welcome screen: example questions from the catalog, interface in Chinese (browser language)
  await page.goto(CHATBI_URL);
  await page.locator(".welcome .chip").first().waitFor();
  check((await page.locator("html").getAttribute("lang")) === "zh-CN", "the interface follows zh-CN");
  check((await page.locator("textarea#question").getAttribute("aria-label")) === "问题", "question box is labelled");
  await shot(page, "welcome-zh");
  if (SKIP_ASK) return context;

  // 2. a question: progress stages show at once, then one card with a chart and the narrative
  await page.evaluate(() => {
    // record the progress card and its stages, however quickly the answer replaces them
    window.__progress = { card: false, stages: [] };
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1) continue;
          if (node.matches("article.card.progress")) window.__progress.card = true;
          if (node.matches("li[data-stage]")) window.__progress.stages.push(node.dataset.stage);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await ask(page, page, "本月投诉最多的产品是哪个?");
  const first = await waitForCard(page, 1);
  const progress = await page.evaluate(() => window.__progress);
  check(progress.card && progress.stages.length > 0, `progress stages shown: ${JSON.stringify(progress)}`);
  console.log(`stages shown: ${progress.stages.join(", ")}`);
  check((await page.locator(".bubble.question").first().innerText()).includes("本月投诉最多的产品"), "question shown");
  const headline = await first.locator(".headline").innerText();
  const narrative = await first.locator(".narrative").innerText();
  check(/投诉/.test(headline), `headline names the metric: ${headline}`);
  check(narrative.length > 0, "the narrative is shown");
  check((await first.locator(".chart svg").count()) === 1, "the chart is an svg in the card");
  const metricTerm = first.locator(".reading .term[data-role=metric]");
  check((await metricTerm.count()) === 1 && /投诉/.test(await metricTerm.innerText()), "the reading marks the metric's words");
  check((await first.locator(".reading .term[data-role=time]").innerText()) === "本月", "the reading marks the period");
  await shot(page, "answer-complaints");

  // 3. a follow-up keeps the context
  await ask(page, page, "按渠道拆分");
  const second = await waitForCard(page, 2);
  check(/渠道/.test(await second.innerText()), "the follow-up is broken down by channel");
  await shot(page, "follow-up-by-channel");

  // 4. an ambiguous question asks back; choosing an option answers it
  await ask(page, page, "what is our response time");
  const clarify = page.locator("article.card.status-clarify").last();
  await clarify.waitFor({ timeout: ANSWER_TIMEOUT });
  const options = clarify.locator("button.chip.option");
  check((await options.count()) >= 2, "the clarification offers options");
  await shot(page, "clarification");
  const chosen = await options.first().innerText();
  const cardsBefore = await page.locator("article.card.answer").count();
  await options.first().click();
  const resolved = await waitForCard(page, cardsBefore + 1);
  check(!(await resolved.getAttribute("class")).includes("status-clarify"), "the choice got an answer");
  check((await page.locator(".bubble.question").last().innerText()).trim() === chosen.trim(), "choice shown as the question");
  await shot(page, "clarification-answered");

  // 4b. a word the parser cannot place is asked about and underlined in the reading, never dropped
  await ask(page, page, "手上还压着多少单");
  const unplaced = page.locator("article.card.status-clarify").last();
  await unplaced.waitFor({ timeout: ANSWER_TIMEOUT });
  check((await unplaced.locator(".reading mark.unknown").innerText()) === "压着", "the unknown word is marked");
  check(/压着/.test(await unplaced.locator(".headline").innerText()), "the question back names the word");
  await shot(page, "unknown-word");

  // 5. a breakdown: the table and its CSV download hold the same rows; the chart can be redrawn as a line
  const cardsShown = await page.locator("article.card.answer").count(); // counted before asking: the answer may be quick
  await ask(page, page, "各渠道的满意度");
  const breakdown = await waitForCard(page, cardsShown + 1);
  await breakdown.getByRole("button", { name: "表格" }).click();
  const table = breakdown.locator("table.data-table");
  await table.waitFor();
  const header = await table.locator("thead th").allInnerTexts();
  const raw = await table.locator("tbody tr").evaluateAll((rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((td) => td.dataset.raw)),
  );
  check(raw.length >= 5, `a row per channel: ${raw.length}`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    breakdown.locator('button[data-action="csv"]').click(),
  ]);
  const csvPath = join(SHOTS, download.suggestedFilename());
  check(/^[\p{L}\p{N}_]+\.csv$/u.test(download.suggestedFilename()), `a plain file name: ${download.suggestedFilename()}`);
  await download.saveAs(csvPath);
  const csv = parseCsv((await readFile(csvPath, "utf8")).replace(/^\ufeff/, ""));
  check(JSON.stringify(csv[0]) === JSON.stringify(header), `CSV header ${csv[0]} = table header ${header}`);
  check(csv.length - 1 === raw.length, `CSV has ${csv.length - 1} rows, the table ${raw.length}`);
  for (let r = 0; r < raw.length; r++) {
    for (let c = 0; c < raw[r].length; c++) {
      const a = csv[r + 1][c];
      const b = raw[r][c];
      const same = a === b || (a !== "" && b !== "" && Number(a) === Number(b));
      check(same, `CSV cell ${r + 1},${c + 1} is ${a}, the table's is ${b}`);
    }
  }
  console.log(`csv ${csvPath}: ${raw.length} rows match the table`);
  const lineButton = breakdown.locator('button.seg[data-kind="line"]');
  if (await lineButton.count()) {
    await lineButton.click();
    await breakdown.locator(".chart svg path[aria-roledescription='line mark']").first().waitFor({ timeout: 10_000 });
    check((await lineButton.getAttribute("aria-pressed")) === "true", "the line switch is pressed");
  }
  await breakdown.getByRole("button", { name: "SQL 与查询" }).click();
  await breakdown.locator("pre.code").first().waitFor();
  await breakdown.locator(".actions").scrollIntoViewIfNeeded();
  await shot(page, "table-line-and-sql");

  // 6. feedback: 👎 with a comment is sent and thanked
  await breakdown.locator('button[data-rating="down"]').click();
  await breakdown.locator(".feedback-form textarea").fill("应该按大区看");
  await breakdown.locator(".feedback-form button[type=submit]").click();
  await breakdown.locator(".feedback-status", { hasText: "谢谢反馈" }).waitFor();

  // 7. an error says the server's message, and the conversation goes on
  await ask(page, page, "投诉".repeat(400));
  const failure = page.locator("article.card.error").last();
  await failure.waitFor({ timeout: ANSWER_TIMEOUT });
  const message = await failure.locator(".message").innerText();
  check(message.length > 4 && !/HTTP \d+/.test(message), `the error says why: ${message}`);
  check((await failure.locator("button").count()) === 0, "a refused question offers no retry");
  const returned = await page.locator("textarea#question").inputValue();
  check(returned.startsWith("投诉投诉"), "the refused question is back in the box to edit");
  await shot(page, "error-message");
  await page.locator("textarea#question").fill("");
  // 8. the interface switches to English
  await page.locator('button[data-action="lang"]').click();
  check((await page.locator("html").getAttribute("lang")) === "en", "html lang follows the switch");
  check((await page.locator("button.send").innerText()).trim() === "Send", "send button in English");
  await breakdown.getByRole("button", { name: "Hide table" }).waitFor();
  await breakdown.locator(".actions").scrollIntoViewIfNeeded();
  await shot(page, "switched-to-english");

  // 9. a reload shows the conversation from the server (answers, not the error), in the chosen language
  const cards = await page.locator("article.card.answer").count();
  await page.reload();
  await waitForCard(page, cards);
  check((await page.locator("article.card.answer").count()) === cards, `history shows ${cards} answers`);
  check((await page.locator("article.card.error").count()) === 0, "errors are not part of the history");
  const answered = page.locator("article.card.status-clarify button.chip.option");
  check(
    (await answered.count()) >= 2 && (await page.locator("article.card.status-clarify button.chip.option:not([disabled])").count()) === 0,
    "an answered clarification's options are no longer clickable",
  );
  check((await page.locator("article.card.status-clarify .chip.option.chosen").innerText()).trim() === chosen.trim(), "the chosen option is marked");
  check((await page.locator("button.send").innerText()).trim() === "Send", "language kept after reload");
  await page.locator("article.card.answer").first().scrollIntoViewIfNeeded();
  await shot(page, "reloaded-history");

  // 10. a phone-sized screen (360 px): the first card is readable, nothing sticks out
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(400);
  const firstCard = page.locator("article.card.answer").first();
  await firstCard.scrollIntoViewIfNeeded();
  const box = await firstCard.boundingBox();
  check(box && box.x >= 0 && box.x + box.width <= 360, `card fits 360 px: ${JSON.stringify(box)}`);
  const svgBox = await firstCard.locator(".chart svg").boundingBox();
  check(svgBox && svgBox.x + svgBox.width <= 360, `chart fits 360 px: ${JSON.stringify(svgBox)}`);
  await assertNoHorizontalOverflow(page, "article.card .headline, article.card .narrative, .actions, .chips");
  await page.evaluate(() => {
    document.querySelector("article.card.answer").scrollIntoView({ block: "start" });
  });
  await shot(page, "phone-360");
  return context;
}

async function widgetSteps(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 860 }, locale: "zh-CN" });
  const page = await context.newPage();
  watchConsole(page, "portal");
  const authorized = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/")) authorized.push([request.url(), request.headers().authorization || ""]);
  });

  await page.goto(PORTAL_URL);
  const launcher = page.locator("[data-chatbi-widget] button.launcher");
  await launcher.waitFor();
  const leaks = await page.evaluate(() => ({
    sheets: document.styleSheets.length,
    h1: getComputedStyle(document.querySelector("h1")).fontFamily,
    launcher: getComputedStyle(
      document.querySelector("[data-chatbi-widget]").shadowRoot.querySelector("button.launcher"),
    ).backgroundColor,
  }));
  check(leaks.sheets === 1, `the widget adds no style sheet to the portal (${leaks.sheets})`);
  check(leaks.h1.includes("serif") && !leaks.h1.includes("PingFang"), `portal font untouched: ${leaks.h1}`);
  check(leaks.launcher === "rgb(0, 114, 178)", `portal styles do not reach the widget: ${leaks.launcher}`);
  await shot(page, "portal-with-widget");

  await launcher.click();
  const frameElement = page.locator("[data-chatbi-widget] iframe");
  await frameElement.waitFor();
  const src = await frameElement.getAttribute("src");
  check(src.includes("/chatbi/embed.html#"), `iframe under the script's prefix: ${src}`);
  const frame = page.frameLocator("[data-chatbi-widget] iframe");
  await frame.locator(".welcome .chip").first().waitFor({ timeout: 20_000 });
  const frameUrl = await frameElement.evaluate((el) => el.contentWindow.location.href).catch(() => "cross-origin");
  check(frameUrl === "cross-origin", "the widget iframe is on the chatbi origin, not the portal's");
  if (!SKIP_ASK) {
    await ask(page, frame, "本月投诉最多的产品是哪个?");
    const card = await waitForCard(frame, 1);
    check((await card.locator(".chart svg").count()) === 1, "the widget's answer has a chart");
    check((await card.locator(".narrative").innerText()).length > 0, "the widget's answer has a narrative");
  }
  await shot(page, "widget-open");
  const calls = authorized.filter(([url]) => url.includes("/chatbi/api/"));
  check(calls.length > 0, "the widget called the API through the prefix");
  const token = env.WIDGET_TOKEN;
  check(
    calls.every(([, auth]) => auth === `Bearer ${token}`),
    `every widget API call carries the portal's token: ${JSON.stringify(calls.map(([u, a]) => [u, a ? "Bearer …" : "none"]))}`,
  );

  // on a phone the panel takes the whole screen, its × still reachable
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  const panelBox = await page.locator("[data-chatbi-widget] .panel").boundingBox();
  check(panelBox.width === 360 && panelBox.height === 740, `full-screen panel: ${JSON.stringify(panelBox)}`);
  await frame.locator('button[data-action="close"]').waitFor();
  await shot(page, "widget-phone-360");

  // Escape closes the panel from inside the iframe
  await frame.locator("textarea#question").press("Escape");
  await page.locator("[data-chatbi-widget] .panel").waitFor({ state: "hidden" });
  return context;
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
/** A question only the LLM can read: the AI stage shows, the card says the AI model read it, and the
 * narrative is the checked rewording. */
async function llmSteps(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 860 }, locale: "zh-CN" });
  const page = await context.newPage();
  watchConsole(page, "chat page with an LLM");
  await page.goto(LLM_CHAT_URL);
  await page.locator(".welcome .chip").first().waitFor();
  await page.evaluate(() => {
    window.__stages = [];
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.addedNodes)
          if (node.nodeType === 1 && node.matches("li[data-stage]")) window.__stages.push(node.textContent);
    }).observe(document.body, { childList: true, subtree: true });
  });
  await ask(page, page, "哪款产品让客户最头疼？");
  const card = await waitForCard(page, 1);
  const stages = await page.evaluate(() => window.__stages);
  console.log(`stages shown: ${stages.join(", ")}`);
  check(stages.includes("AI 模型理解问题"), `the AI stage is shown: ${stages.join(", ")}`);
  const notes = await card.locator(".notes").innerText();
  check(notes.includes("由 AI 模型理解问题"), `the card says the AI model read the question: ${notes}`);
  const text = (await card.locator(".headline").innerText()) + (await card.locator(".narrative").innerText());
  check(text.startsWith("简而言之"), `the checked rewording is shown: ${text}`);
  await shot(page, "llm-answer");
  return context;
}

let failed = null;
try {
  for (const [name, steps] of [
    ["chat", chatSteps],
    ["widget", widgetSteps],
    ...(LLM_CHAT_URL && !SKIP_ASK ? [["llm", llmSteps]] : []),
  ]) {
    const started = Date.now();
    const context = await steps(browser);
    await context.close();
    console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
} catch (error) {
  failed = error;
}
await browser.close();
// the one HTTP error the steps cause on purpose (a question over the length limit) is not a problem
const shown = problems.filter((p) => !/status of 413/.test(p));
if (failed) {
  console.error(`FAILED after screenshot ${step}: ${failed.message}`);
  if (shown.length) console.error(`browser console:\n${shown.join("\n")}`);
  process.exit(1);
}
if (shown.length) {
  console.error(`FAILED: errors in the browser console:\n${shown.join("\n")}`);
  process.exit(1);
}
console.log("all browser steps passed");
