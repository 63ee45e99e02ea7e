// Charts: the server's Vega-Lite spec drawn with vega-embed (actions menu off, SVG, and Vega's expression
// interpreter instead of eval, so a strict Content-Security-Policy holds), and bar/line variants that the
// client rebuilds from the answer's data with vega-lite-api.
import embed from "vega-embed";
import * as vl from "vega-lite-api";
import { isNumeric } from "./format.js";

const EMBED_OPTIONS = {
  actions: false,
  renderer: "svg",
  ast: true,
  defaultStyle: false,
  tooltip: { theme: "light" },
};

/** Draw `spec` into `element`; resolves to the Vega view (for PNG export), or throws. */
export async function drawChart(element, spec) {
  const result = await embed(element, spec, EMBED_OPTIONS);
  return result.view;
}

/**
 * The shape of `data` a rebuilt chart can show: one category (or time) column, at most one series column,
 * and the first numeric column as the value; null when the data has no such shape (e.g. a single value).
 */
export function rebuildShape(data) {
  if (!data || !Array.isArray(data.columns) || !Array.isArray(data.rows) || data.rows.length < 2) return null;
  const indexed = data.columns.map((column, index) => ({ ...column, index }));
  const value = indexed.find(isNumeric);
  const categories = indexed.filter((c) => !isNumeric(c));
  if (!value || categories.length < 1 || categories.length > 2 || data.rows.length > 500) return null;
  const time = categories.find((c) => c.type === "date" || c.type === "timestamp");
  const x = time || categories[0];
  const series = categories.find((c) => c !== x) || null;
  return { x, series, value };
}

/**
 * A bar or line chart of `data` built with vega-lite-api, styled like the server's `spec` (its config,
 * title and sizing are kept). Data values are copied into fixed field names, so no server or user text is
 * ever read as a Vega field path or expression.
 */
export function rebuildChart(kind, data, spec) {
  const shape = rebuildShape(data);
  if (!shape) return null;
  const { x, series, value } = shape;
  const values = data.rows.map((row) => ({
    x: row[x.index] === null ? "—" : String(row[x.index]),
    s: series ? String(row[series.index]) : "",
    v: row[value.index],
  }));
  const xTitle = x.label || x.name;
  const vTitle = value.label || value.name;
  const valueAxis = { format: value.format === "percent" ? ".0%" : "~s", tickCount: 4 };
  const tooltip = vl.tooltip([
    { field: "x", type: "nominal", title: xTitle },
    ...(series ? [{ field: "s", type: "nominal", title: series.label || series.name }] : []),
    { field: "v", type: "quantitative", title: vTitle, format: value.format === "percent" ? ".1%" : ",.2~f" },
  ]);
  let chart;
  if (kind === "line") {
    chart = vl
      .markLine({ point: true, strokeWidth: 2 })
      .encode(
        vl.x().fieldO("x").title(xTitle).sort(null).axis({ labelAngle: -40, labelOverlap: true }),
        vl.y().fieldQ("v").title(vTitle).axis(valueAxis),
        ...(series ? [vl.color().fieldN("s").title(series.label || series.name)] : []),
        tooltip,
      )
      .width("container")
      .height(220);
  } else {
    chart = vl
      .markBar({ cornerRadiusEnd: 2 })
      .encode(
        vl.y().fieldN("x").title(xTitle).sort(null).axis({ labelLimit: 150 }),
        vl.x().fieldQ("v").title(vTitle).axis(valueAxis),
        ...(series
          ? [vl.color().fieldN("s").title(series.label || series.name), vl.yOffset().fieldN("s")]
          : []),
        tooltip,
      )
      .width("container")
      .height({ step: series ? 14 : 26 });
  }
  const built = chart.data(values).toSpec();
  const keep = {};
  for (const key of ["config", "title", "padding", "background", "autosize"]) {
    if (spec && spec[key] !== undefined) keep[key] = spec[key];
  }
  if (!keep.autosize) keep.autosize = { type: "fit-x", contains: "padding" };
  return { ...built, ...keep };
}
