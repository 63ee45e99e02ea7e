// Values shown in the table, written as the server's narrative writes them (agent/number_format.py):
// 1.2万 / 12,345, 12.3%, 23.5分钟 / 23.5 min, 4.12分. The CSV keeps the raw numbers.

const grouped = (digits) =>
  new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = grouped(0);
const one = grouped(1);
const two = grouped(2);

function count(value, lang) {
  if (lang === "zh" && Math.abs(value) >= 10000) return `${(value / 10000).toFixed(1).replace(/\.0$/, "")}万`;
  return Number.isInteger(value) ? int.format(value) : one.format(value);
}

function plain(value) {
  if (Number.isInteger(value)) return int.format(value);
  return Math.abs(value) < 100 ? two.format(value) : one.format(value);
}

/** A value of a result column in its format (`count`, `percent`, `minutes`, ...) and language. */
export function formatValue(value, format, lang) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  switch (format) {
    case "percent":
      return `${(value * 100).toFixed(1)}%`;
    case "minutes":
      if (Math.abs(value) >= 120) return formatValue(value / 60, "hours", lang);
      return lang === "zh" ? `${value.toFixed(1)}分钟` : `${value.toFixed(1)} min`;
    case "hours":
      if (Math.abs(value) >= 72) return formatValue(value / 24, "days", lang);
      return lang === "zh" ? `${value.toFixed(1)}小时` : `${value.toFixed(1)} h`;
    case "days":
      return lang === "zh" ? `${value.toFixed(1)}天` : `${value.toFixed(1)} days`;
    case "score":
      return lang === "zh" ? `${value.toFixed(2)}分` : value.toFixed(2);
    case "count":
      return count(value, lang);
    case "currency":
      return `¥${count(value, lang)}`;
    default:
      return plain(value);
  }
}

/** True for the column types whose values line up on the right. */
export function isNumeric(column) {
  return ["integer", "number", "float", "decimal", "double", "bigint"].includes(column.type);
}

/** One CSV field: quoted when it holds a comma, quote or line break; formulas defused for spreadsheets. */
function csvField(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The result as CSV: a header of column labels, then the raw values (numbers unformatted). */
export function toCsv(data) {
  const lines = [data.columns.map((c) => csvField(c.label || c.name)).join(",")];
  for (const row of data.rows) lines.push(row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
