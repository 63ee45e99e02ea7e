// Unit tests of the web client's pure modules (no browser): run with `node --test` by test_web_assets.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatValue, isNumeric, toCsv } from "../../web/src/format.js";
import { parseEvents } from "../../web/src/sse.js";

test("server-sent events split on blank lines, keep partial events, join data lines", () => {
  const [events, rest] = parseEvents(
    'event: stage\ndata: {"name":"planning"}\n\n: a comment\nevent: token\r\ndata: a\r\ndata: b\r\n\r\nevent: answer\ndata: {"sta',
  );
  assert.deepEqual(events, [
    { event: "stage", data: '{"name":"planning"}' },
    { event: "token", data: "a\nb" },
  ]);
  assert.equal(rest, 'event: answer\ndata: {"sta');
  const [more] = parseEvents(`${rest}tus":"answered"}\n\n`);
  assert.deepEqual(more, [{ event: "answer", data: '{"status":"answered"}' }]);
  assert.deepEqual(parseEvents("data:x\n\n")[0], [{ event: "message", data: "x" }]);
});

test("CSV: labels as header, raw numbers, quoting, and spreadsheet formulas defused", () => {
  const csv = toCsv({
    columns: [
      { name: "region", label: "大区", type: "string" },
      { name: "rate", label: "Rate, %", type: "number", format: "percent" },
    ],
    rows: [
      ["华南", 0.1234],
      ['say "hi"', null],
      ["=1+2", 3],
      ["line\nbreak", -1],
    ],
  });
  assert.equal(
    csv,
    '大区,"Rate, %"\r\n华南,0.1234\r\n"say ""hi""",\r\n\'=1+2,3\r\n"line\nbreak",-1\r\n',
  );
});

test("values are written as the narrative writes them", () => {
  assert.equal(formatValue(0.1234, "percent", "zh"), "12.3%");
  assert.equal(formatValue(23.46, "minutes", "zh"), "23.5分钟");
  assert.equal(formatValue(150, "minutes", "en"), "2.5 h");
  assert.equal(formatValue(100, "hours", "en"), "4.2 days");
  assert.equal(formatValue(12345, "count", "zh"), "1.2万");
  assert.equal(formatValue(20000, "count", "zh"), "2万");
  assert.equal(formatValue(12345, "count", "en"), "12,345");
  assert.equal(formatValue(4.1234, "score", "zh"), "4.12分");
  assert.equal(formatValue(null, "count", "en"), "—");
  assert.equal(formatValue("华南", null, "zh"), "华南");
  assert.equal(formatValue(1234.5, null, "en"), "1,234.5");
  assert.equal(isNumeric({ type: "integer" }), true);
  assert.equal(isNumeric({ type: "date", format: "date" }), false);
});
