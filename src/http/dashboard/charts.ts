// A chart on a dashboard page is a table first: the server renders the figures as a <table> inside a
// <figure data-chart>, readable without JavaScript; templates/dashboard/charts.js reads that same table (raw numbers in
// data-value) and draws it with uPlot above it. Adding a series is one more entry in `series`.
import { html, type SafeHtml } from '../../render/html.js';
import { count } from './format.js';

export interface ChartSeries {
  label: string;
  values: number[];
}

export interface Chart {
  /** Names the figure (data-chart-id), for tests and styles. */
  id: string;
  title: string;
  /** `line`: a series over time; `bars`: one bar per category (per link, per network). */
  kind: 'line' | 'bars';
  /** The first column's heading and one label per row. */
  x: { label: string; values: string[]; /** Shorter labels for the chart's axis (the table keeps the full ones). */ short?: string[] };
  series: ChartSeries[];
  /** Shown instead of the chart and table when every value is zero or there are no rows. */
  empty: string;
  /** Cells of the first column as links or other markup; plain text otherwise. */
  xCell?: (index: number) => SafeHtml;
  /** Long tables fold under the chart (a <details>, which opens without JavaScript too). */
  foldTable?: boolean;
}

export function chartFigure(chart: Chart): SafeHtml {
  const rows = chart.x.values.length;
  const anything = rows > 0 && chart.series.some((s) => s.values.some((v) => v !== 0));
  if (!anything) return html`<figure class="chart" data-chart-id="${chart.id}"><figcaption>${chart.title}</figcaption><p class="muted">${chart.empty}</p></figure>`;
  return html`<figure class="chart" data-chart="${chart.kind}" data-chart-id="${chart.id}">
  <figcaption>${chart.title}</figcaption>
  <div class="chart-plot" data-plot aria-hidden="true"></div>
  ${chart.foldTable ? html`<details><summary>The numbers</summary>${table(chart)}</details>` : table(chart)}
</figure>`;
}

function table(chart: Chart): SafeHtml {
  return html`<div class="table-wrap"><table class="compact">
    <thead><tr><th scope="col">${chart.x.label}</th>${chart.series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
    <tbody>${chart.x.values.map((label, i) => html`<tr><th scope="row" data-x="${chart.x.short?.[i] ?? label}">${chart.xCell ? chart.xCell(i) : label}</th>${
      chart.series.map((s) => html`<td class="num" data-value="${String(s.values[i] ?? 0)}">${count(s.values[i] ?? 0)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}
