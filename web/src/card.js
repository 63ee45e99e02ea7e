// The answer card (DESIGN.md section 6): a one-line headline, the chart, the narrative, then small actions
// (table, SQL & query, CSV, PNG, 👍/👎), suggestion chips and clarification options. Every piece of text
// from the server goes in as a text node.
import { ApiError, api } from "./api.js";
import { drawChart, rebuildChart, rebuildShape } from "./chart.js";
import { append, download, h, replaceChildren } from "./dom.js";
import { formatValue, isNumeric, toCsv } from "./format.js";
import { language, t } from "./i18n.js";
import { localized } from "./localized.js";

/** Split a narrative into its first sentence (the headline) and the rest. */
export function splitHeadline(text) {
  const value = (text || "").trim();
  const match = value.match(/^(.+?[。！？]|.+?[.!?](?=\s|$))\s*(.*)$/s);
  if (!match) return [value, ""];
  return [match[1], match[2]];
}

function answerLanguage(answer) {
  const lang = answer && answer.query && answer.query.language;
  return lang === "en" || lang === "zh" ? lang : language();
}

function chartTitle(spec) {
  if (!spec || !spec.title) return "";
  return typeof spec.title === "string" ? spec.title : String(spec.title.text || "");
}

function fileStem(answer) {
  const title = chartTitle(answer.chart) || "chatbi";
  const safe = title.replace(/[^\p{L}\p{N}]+/gu, "_").replace(/^_+|_+$/g, "");
  return (safe || "chatbi").slice(0, 60);
}

/** The result as an HTML table (labels from the server, values formatted like the narrative). */
export function renderTable(data, lang) {
  const columns = data.columns || [];
  const rows = data.rows || [];
  if (!rows.length) return h("p", { class: "muted" }, localized("emptyTable"));
  const table = h(
    "table",
    { class: "data-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        columns.map((c) => h("th", { scope: "col", class: isNumeric(c) ? "num" : null }, c.label || c.name)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((row) =>
        h(
          "tr",
          null,
          row.map((value, i) => {
            const column = columns[i] || {};
            const numeric = isNumeric(column);
            const text = value === null ? "" : String(value);
            return h(
              "td",
              // a long value is cut by the stylesheet; its full text shows on hover (as an attribute: text)
              { class: numeric ? "num" : null, "data-raw": text, title: !numeric && text.length > 40 ? text : null },
              numeric ? formatValue(value, column.format, lang) : value === null ? "—" : String(value),
            );
          }),
        ),
      ),
    ),
  );
  return h(
    "div",
    null,
    localized.attr(h("div", { class: "table-scroll", tabindex: "0", role: "region" }, table), "aria-label", "table"),
    h(
      "p",
      { class: "muted small" },
      localized("rows", rows.length),
      data.truncated ? [" · ", localized("truncated")] : null,
    ),
  );
}

function renderSql(answer) {
  const statements = Array.isArray(answer.sql) ? answer.sql : answer.sql ? [answer.sql] : [];
  const query = answer.query ? JSON.stringify(answer.query, null, 2) : "";
  return h(
    "div",
    null,
    statements.length ? h("h4", null, localized("sqlTitle")) : null,
    statements.map((sql) => h("pre", { class: "code", tabindex: "0" }, h("code", null, sql))),
    query ? h("h4", null, localized("queryTitle")) : null,
    query ? h("pre", { class: "code", tabindex: "0" }, h("code", null, query)) : null,
  );
}

function toggleButton(labelKey, hideKey, panel, onOpen) {
  const label = localized(labelKey);
  const button = h(
    "button",
    { type: "button", class: "action", "aria-expanded": "false", "aria-controls": panel.id },
    label,
  );
  button.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    label.dataset.i18n = open ? hideKey : labelKey;
    label.textContent = t(label.dataset.i18n);
    if (open && onOpen) onOpen();
  });
  return button;
}

const SVG = "http://www.w3.org/2000/svg";
const THUMB =
  "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6c-.4.4-.6.9-.6 1.4v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

/** A thumbs-up (or, turned over, thumbs-down) icon drawn as SVG: no emoji font needed. */
function thumb(down) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", down ? "thumb down" : "thumb");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", THUMB);
  svg.appendChild(path);
  return svg;
}

function dataUrlToBlob(url) {
  const [head, body] = url.split(",", 2);
  const type = (head.match(/^data:([^;,]+)/) || [])[1] || "application/octet-stream";
  const bytes = atob(body);
  const buffer = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
  return new Blob([buffer], { type });
}

let nextId = 0;
const uid = (prefix) => `${prefix}-${++nextId}`;

function chips(items, onPick, kind) {
  if (!items || !items.length) return null;
  const group = h(
    "div",
    { class: `chips ${kind}`, role: "group" },
    items.map((item) =>
      h(
        "button",
        { type: "button", class: kind === "options" ? "chip option" : "chip", onclick: (e) => onPick(item, e) },
        item.label,
      ),
    ),
  );
  return localized.attr(group, "aria-label", kind === "options" ? "clarify" : "suggestions");
}

function feedbackControls(answer) {
  if (!answer.conversation_id || !answer.turn_id) return { buttons: null, form: null };
  const status = h("span", { class: "feedback-status muted small", role: "status" });
  const comment = h("textarea", { rows: "2", maxlength: "2000" });
  localized.attr(comment, "placeholder", "commentPlaceholder");
  const form = h(
    "form",
    { class: "feedback-form", hidden: true },
    h("label", null, localized("commentLabel"), comment), // the label names the box
    h("button", { type: "submit", class: "action primary" }, localized("sendFeedback")),
  );
  const up = h("button", { type: "button", class: "action icon", "aria-pressed": "false", "data-rating": "up" }, thumb(false));
  const down = h(
    "button",
    { type: "button", class: "action icon", "aria-pressed": "false", "data-rating": "down" },
    thumb(true),
  );
  localized.attr(up, "aria-label", "up");
  localized.attr(down, "aria-label", "down");
  localized.attr(up, "title", "up");
  localized.attr(down, "title", "down");

  async function send(rating, text) {
    up.setAttribute("aria-pressed", String(rating === "up"));
    down.setAttribute("aria-pressed", String(rating === "down"));
    const body = { conversation_id: answer.conversation_id, turn_id: answer.turn_id, rating };
    if (text) body.comment = text;
    try {
      await api.feedback(body);
      replaceChildren(status, localized("thanks"));
      form.hidden = true;
    } catch (error) {
      replaceChildren(status, localized("feedbackFailed"), errorMessage(error));
    }
  }
  up.addEventListener("click", () => send("up"));
  down.addEventListener("click", () => {
    down.setAttribute("aria-pressed", "true");
    up.setAttribute("aria-pressed", "false");
    form.hidden = false;
    comment.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send("down", comment.value.trim());
  });
  return { buttons: [up, down, status], form };
}

/** The text to show for an error: the server's message, or the network message. */
export function errorMessage(error) {
  if (error instanceof ApiError && error.message) return error.message;
  if (error instanceof ApiError) return t("networkError");
  return (error && error.message) || String(error);
}

/**
 * The card for one Answer. `handlers.ask(question)` asks a suggestion; `handlers.choose(option)` answers
 * a clarification. Returns the card element; call `card.mount()` once it is in the page to draw its chart.
 */
/** What the planner assumed or left out (e.g. the default period), and whether the AI model read it. */
export function noteLines(answer) {
  const notes = answer.query && Array.isArray(answer.query.notes) ? answer.query.notes.map(String) : [];
  if (answer.planner === "llm") notes.push(t("readByLlm"));
  return notes;
}

/**
 * How the built-in parser read the question: each understood span marked with what it matched (on
 * hover), words it could not place underlined, phrasing as plain text. Null when there is no reading
 * (the AI model planned it) or nothing in it was understood.
 */
export function readingLine(answer) {
  const segments = answer.query && Array.isArray(answer.query.reading) ? answer.query.reading : [];
  if (answer.planner === "llm" || !segments.some((s) => s.role !== "phrasing")) return null;
  const parts = segments.map((segment) => {
    const text = String(segment.text || "");
    if (segment.role === "phrasing") return text;
    if (segment.role === "unknown") {
      const word = h("mark", { class: "term unknown", "data-role": "unknown" }, text);
      localized.attr(word, "title", "unknownWord");
      return word;
    }
    const title = segment.ref ? `${segment.role}: ${segment.ref}` : String(segment.role);
    return h("span", { class: `term role-${segment.role}`, "data-role": segment.role, title }, text);
  });
  return h("p", { class: "reading" }, localized("readingLabel"), " ", parts);
}

export function answerCard(answer, handlers) {
  const lang = answerLanguage(answer);
  const card = h("article", {
    class: `card answer status-${answer.status}`,
    lang: lang === "zh" ? "zh-CN" : "en",
    "data-turn": answer.turn_id || "",
  });
  localized.attr(card, "aria-label", "answer");
  card.mount = () => Promise.resolve();

  if (answer.status === "clarify" && answer.clarification) {
    const options = chips(
      answer.clarification.options,
      (option, event) => {
        for (const button of card.querySelectorAll(".chip.option")) button.disabled = true;
        event.currentTarget.classList.add("chosen");
        handlers.choose(option);
      },
      "options",
    );
    append(card, [h("h3", { class: "headline" }, answer.clarification.question), readingLine(answer), options]);
    return card;
  }

  const [headline, rest] = splitHeadline(answer.answer);
  append(card, h("h3", { class: "headline" }, headline || t(answer.status === "unsupported" ? "unsupported" : "answer")));

  let view = null;
  let chartBox = null;
  if (answer.chart) {
    const title = chartTitle(answer.chart);
    chartBox = h("div", { class: "chart", role: "img" });
    chartBox.setAttribute("aria-label", t("chartLabel", title));
    append(card, chartBox);
  }
  if (rest) append(card, h("p", { class: "narrative" }, rest));
  const notes = noteLines(answer);
  if (notes.length) append(card, h("ul", { class: "notes" }, notes.map((note) => h("li", {}, note))));
  append(card, readingLine(answer));

  const data = answer.data;
  const hasData = data && Array.isArray(data.columns) && Array.isArray(data.rows) && data.columns.length;
  const panels = [];
  const actions = h("div", { class: "actions" });

  if (answer.chart && hasData && rebuildShape(data)) {
    const kinds = [
      ["original", "chartOriginal"],
      ["bar", "chartBar"],
      ["line", "chartLine"],
    ];
    const group = h("div", { class: "segmented", role: "group" });
    localized.attr(group, "aria-label", "chartKind");
    for (const [kind, key] of kinds) {
      const button = h(
        "button",
        { type: "button", class: "seg", "aria-pressed": String(kind === "original"), "data-kind": kind },
        localized(key),
      );
      button.addEventListener("click", async () => {
        for (const other of group.children) other.setAttribute("aria-pressed", String(other === button));
        const spec = kind === "original" ? answer.chart : rebuildChart(kind, data, answer.chart);
        const height = chartBox.offsetHeight;
        chartBox.style.minHeight = `${height}px`;
        try {
          view = await drawChart(chartBox, spec);
        } finally {
          chartBox.style.minHeight = "";
        }
      });
      group.appendChild(button);
    }
    append(actions, group);
  }
  if (hasData) {
    const tablePanel = h("div", { class: "panel", id: uid("table"), hidden: true });
    let tableBuilt = false;
    append(
      actions,
      toggleButton("table", "hideTable", tablePanel, () => {
        if (!tableBuilt) append(tablePanel, renderTable(data, lang));
        tableBuilt = true;
      }),
    );
    panels.push(tablePanel);
  }
  if (answer.sql || answer.query) {
    const sqlPanel = h("div", { class: "panel", id: uid("sql"), hidden: true });
    let built = false;
    append(
      actions,
      toggleButton("sql", "hideSql", sqlPanel, () => {
        if (!built) append(sqlPanel, renderSql(answer));
        built = true;
      }),
    );
    panels.push(sqlPanel);
  }
  if (hasData) {
    append(
      actions,
      h(
        "button",
        {
          type: "button",
          class: "action",
          "data-action": "csv",
          onclick: () =>
            download(new Blob(["\ufeff", toCsv(data)], { type: "text/csv;charset=utf-8" }), `${fileStem(answer)}.csv`),
        },
        localized("csv"),
      ),
    );
  }
  if (answer.chart) {
    append(
      actions,
      h(
        "button",
        {
          type: "button",
          class: "action",
          "data-action": "png",
          onclick: async () => {
            if (!view) return;
            const url = await view.toImageURL("png", 2);
            download(dataUrlToBlob(url), `${fileStem(answer)}.png`);
          },
        },
        localized("png"),
      ),
    );
  }
  const feedback = feedbackControls(answer);
  append(actions, feedback.buttons);
  append(card, actions, panels, feedback.form);
  append(
    card,
    chips(
      (answer.suggestions || []).map((text) => ({ label: text })),
      (item) => handlers.ask(item.label),
      "suggestions",
    ),
  );

  // Drawn once the card is in the page (the chart takes the card's width); resolves when done.
  card.mount = () => {
    if (!chartBox) return Promise.resolve();
    return drawChart(chartBox, answer.chart).then(
      (drawn) => {
        view = drawn;
        chartBox.classList.add("drawn");
      },
      (error) => {
        replaceChildren(chartBox, h("p", { class: "muted small" }, String(error && error.message ? error.message : error)));
        chartBox.classList.add("failed");
      },
    );
  };
  return card;
}
