// Herald dashboard, charts: every <figure data-chart> holds its figures as a table (src/http/dashboard/charts.ts);
// this reads the table's raw numbers (data-value) and draws them with uPlot (served by Herald) above it. The table
// stays: it is what screen readers and pages without JavaScript get, and where the exact numbers are.
'use strict';
(function () {
  if (typeof window.uPlot !== 'function') return;
  var COLOURS = ['#1f57d6', '#8a939c', '#b3261e', '#1a7f37', '#8a5a00', '#6f42c1'];

  function readTable(figure) {
    var source = figure.querySelector('.table-wrap table');
    var names = Array.prototype.slice.call(source.querySelectorAll('thead th')).slice(1).map(function (th) { return th.textContent.trim(); });
    var labels = [];
    var columns = names.map(function () { return []; });
    source.querySelectorAll('tbody tr').forEach(function (row) {
      labels.push(row.querySelector('th').getAttribute('data-x'));
      row.querySelectorAll('td[data-value]').forEach(function (cell, i) { columns[i].push(Number(cell.getAttribute('data-value'))); });
    });
    return { names: names, labels: labels, columns: columns };
  }

  function draw(figure) {
    var plot = figure.querySelector('[data-plot]');
    var table = readTable(figure);
    var source = figure.querySelector('.table-wrap table');
    var bars = figure.getAttribute('data-chart') === 'bars';
    var xs = table.labels.map(function (_, i) { return i; });
    var width = function () { return Math.max(240, plot.clientWidth || figure.clientWidth); };
    var series = [{ label: source.querySelector('thead th').textContent.trim(), value: function (u, i) { return i === null ? '—' : table.labels[Math.round(i)]; } }];
    table.names.forEach(function (name, i) {
      var colour = COLOURS[i % COLOURS.length];
      var s = { label: name, stroke: colour, width: bars ? 0 : 2, fill: bars ? colour : colour + '22', points: { show: !bars && xs.length < 30 } };
      // Bars of each category side by side: the first series left of its tick, the second right of it.
      if (bars) s.paths = window.uPlot.paths.bars({ size: [0.8 / table.names.length, 60], align: table.names.length === 1 ? 0 : i === 0 ? -1 : 1 });
      series.push(s);
    });
    var options = {
      width: width(),
      height: 240,
      series: series,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: function (u, min, max) { return bars ? [min - 0.6, max + 0.6] : [min, Math.max(max, min + 1)]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, Math.ceil(max * 1.1))]; } },
      },
      axes: [
        {
          incrs: [1, 2, 3, 4, 6, 8, 12, 24, 48],
          values: function (u, splits) { return splits.map(function (i) { return i === Math.round(i) && table.labels[i] !== undefined ? table.labels[i] : ''; }); },
        },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] },
      ],
    };
    var chart = new window.uPlot(options, [xs].concat(table.columns), plot);
    window.addEventListener('resize', window.herald.debounce(function () { chart.setSize({ width: width(), height: 240 }); }, 150));
    figure.setAttribute('data-drawn', '');
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('figure[data-chart]').forEach(draw);
  });
})();
