// The executive dashboard's four charts, drawn from the JSON the page embeds, with the vendored
// Chart.js (no CDN). Fonts are larger than Chart.js's default so a projector stays readable.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var node = document.getElementById("dashboard-data");
  if (!node) { return; }
  var d = JSON.parse(node.textContent);
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return css.getPropertyValue(name).trim() || fallback; }
  var palette = {
    green: color("--bs-success", "#198754"), amber: color("--bs-warning", "#ffc107"),
    red: color("--bs-danger", "#dc3545"), grey: color("--bs-secondary", "#6c757d"),
  };
  var primary = color("--bs-primary", "#0d6efd");
  var grid = color("--bs-border-color", "#dee2e6");
  Chart.defaults.font.size = 14;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  // Amounts as the page prints them: the page's language and currency, short on the axis
  // (¥7.72亿 / CN¥771.6M), exact in the tooltip (¥771,636,425 / CN¥771,636,425).
  var lang = document.documentElement.lang || undefined;
  var currency = d.currency || "CNY";
  var chinese = /^zh/i.test(lang || "");
  var moneyShort = new Intl.NumberFormat(lang, {
    style: "currency", currency: currency, notation: "compact", useGrouping: true, minimumFractionDigits: 0, maximumFractionDigits: chinese ? 2 : 1,
  });
  var moneyExact = new Intl.NumberFormat(lang, { style: "currency", currency: currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  var count = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var share = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  function money(v) { return moneyShort.format(v); }
  function percent(v) { return share.format(v) + "%"; }

  var bands = document.getElementById("chart-bands");
  if (bands) {
    new Chart(bands, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: ["red", "amber", "green", "grey"].map(function (band) {
          return { label: d.band_labels[band], data: d.bands[band], backgroundColor: palette[band], stack: "bands" };
        }),
      },
      options: { scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, grid: { color: grid }, ticks: { precision: 0 } } } },
    });
  }
  var risk = document.getElementById("chart-risk");
  if (risk) {
    new Chart(risk, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: risk.dataset.labelKey, data: d.risk_key, borderColor: palette.red, backgroundColor: palette.red, borderWidth: 3 },
          { label: risk.dataset.labelBase, data: d.risk_base, borderColor: palette.grey, backgroundColor: palette.grey, borderDash: [6, 4] },
        ],
      },
      options: {
        scales: { y: { beginAtZero: true, grid: { color: grid }, ticks: { callback: money } }, x: { grid: { display: false } } },
        plugins: {
          legend: { labels: { usePointStyle: true, pointStyle: "line" } },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + moneyExact.format(c.parsed.y); } } },
        },
      },
    });
  }
  var pareto = document.getElementById("chart-pareto");
  if (pareto && d.pareto.length) {
    new Chart(pareto, {
      type: "line",
      data: {
        datasets: [{
          label: pareto.dataset.labelCurve, borderColor: primary, backgroundColor: primary, pointRadius: 0, borderWidth: 3,
          data: d.pareto.map(function (p) { return { x: Math.round(p[0] * 1000) / 10, y: Math.round(p[1] * 1000) / 10 }; }),
        }],
      },
      options: {
        scales: {
          x: { type: "linear", min: 0, max: 100, title: { display: true, text: pareto.dataset.labelX }, ticks: { callback: percent } },
          y: { min: 0, max: 100, grid: { color: grid }, ticks: { callback: percent } },
        },
        plugins: { legend: { display: false } },
      },
    });
  }
  var tier = document.getElementById("chart-tier");
  if (tier) {
    new Chart(tier, {
      data: {
        labels: d.labels,
        datasets: [
          { type: "bar", label: tier.dataset.labelEntries, data: d.entries, backgroundColor: palette.green, yAxisID: "y" },
          { type: "bar", label: tier.dataset.labelExits, data: d.exits.map(function (v) { return -v; }), backgroundColor: palette.red, yAxisID: "y" },
          { type: "line", label: tier.dataset.labelShare, data: d.key_share, borderColor: primary, backgroundColor: primary, yAxisID: "share", spanGaps: true },
        ],
      },
      options: {
        scales: {
          x: { stacked: true, grid: { display: false } },
          y: { stacked: true, grid: { color: grid }, ticks: { precision: 0, callback: function (v) { return count.format(Math.abs(v)); } } },
          share: { position: "right", min: 0, max: 100, grid: { display: false }, ticks: { callback: percent } },
        },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + (c.dataset.yAxisID === "share" ? percent(c.parsed.y) : count.format(Math.abs(c.parsed.y))); } } } },
      },
    });
  }
}());
