// The model quality charts (run page and comparison), drawn from the JSON the page embeds with the
// vendored Chart.js (no CDN): ROC curves, lift by share of accounts contacted, calibration by band.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var node = document.getElementById("quality-data");
  if (!node) { return; }
  var d = JSON.parse(node.textContent);
  var text = d.text || {};
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return css.getPropertyValue(name).trim() || fallback; }
  var bandColors = {
    green: color("--bs-success", "#198754"), amber: color("--bs-warning", "#ffc107"),
    red: color("--bs-danger", "#dc3545"), grey: color("--bs-secondary", "#6c757d"),
  };
  var grid = color("--bs-border-color", "#dee2e6");
  // The score stands out; baselines are thinner and dashed, in colours far from the bands'.
  var lineColors = [color("--bs-primary", "#0d6efd"), "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];
  Chart.defaults.font.size = 13;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  function pct(v) { return Math.round(v * 100) + "%"; }
  function xy(points) { return (points || []).map(function (p) { return { x: p[0], y: p[1] }; }); }
  var predictors = d.predictors || [];
  function lines(field) {
    return predictors.map(function (p, i) {
      var first = i === 0;
      return {
        label: p.label, data: xy(p[field]), borderColor: lineColors[i % lineColors.length],
        backgroundColor: lineColors[i % lineColors.length], borderWidth: first ? 3 : 2,
        borderDash: first || p.key === "score" ? [] : [6, 3], pointRadius: 0, tension: 0,
      };
    });
  }
  var legend = { position: "bottom", labels: { usePointStyle: true, pointStyle: "line", boxWidth: 24 } };

  var roc = document.getElementById("chart-roc");
  if (roc) {
    var rocSets = lines("roc");
    rocSets.push({
      label: text.chance, data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: grid, borderWidth: 1,
      borderDash: [2, 4], pointRadius: 0,
    });
    new Chart(roc, {
      type: "line",
      data: { datasets: rocSets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", min: 0, max: 1, title: { display: true, text: text.fpr }, ticks: { callback: pct }, grid: { color: grid } },
          y: { min: 0, max: 1, title: { display: true, text: text.tpr }, ticks: { callback: pct }, grid: { color: grid } },
        },
        plugins: {
          legend: legend,
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + pct(c.parsed.x) + " → " + pct(c.parsed.y); } } },
        },
      },
    });
  }

  var lift = document.getElementById("chart-lift");
  if (lift) {
    var liftSets = lines("lift");
    liftSets.push({
      label: text.chance, data: [{ x: 0, y: 1 }, { x: 1, y: 1 }], borderColor: grid, borderWidth: 1,
      borderDash: [2, 4], pointRadius: 0,
    });
    new Chart(lift, {
      type: "line",
      data: { datasets: liftSets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", min: 0, max: 1, title: { display: true, text: text.share }, ticks: { callback: pct }, grid: { color: grid } },
          y: { beginAtZero: true, title: { display: true, text: text.lift }, ticks: { callback: function (v) { return v + "×"; } }, grid: { color: grid } },
        },
        plugins: {
          legend: legend,
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + pct(c.parsed.x) + " · " + c.parsed.y.toFixed(1) + "×"; } } },
        },
      },
    });
  }

  var calibration = document.getElementById("chart-calibration");
  if (calibration) {
    var rows = d.calibration || [];
    var datasets = [{
      type: "bar", label: text.rate,
      data: rows.map(function (r) { return r.rate === null ? null : r.rate * 100; }),
      backgroundColor: rows.map(function (r) { return bandColors[r.band] || bandColors.grey; }),
    }];
    if (d.base_rate !== null && d.base_rate !== undefined) {
      datasets.push({
        type: "line", label: text.base_rate, data: rows.map(function () { return d.base_rate * 100; }),
        borderColor: color("--bs-body-color", "#212529"), borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0,
        pointStyle: "line",
      });
    }
    new Chart(calibration, {
      data: {
        labels: rows.map(function (r) {
          return r.samples === null ? r.label : [r.label, Number(r.samples).toLocaleString(document.documentElement.lang || undefined) + " " + text.samples];
        }),
        datasets: datasets,
      },
      options: {
        scales: {
          y: { beginAtZero: true, title: { display: true, text: text.rate }, ticks: { callback: function (v) { return v + "%"; } }, grid: { color: grid } },
          x: { grid: { display: false } },
        },
        plugins: {
          legend: {
            display: datasets.length > 1, position: "bottom",
            labels: { usePointStyle: true, boxWidth: 24, filter: function (item) { return item.datasetIndex > 0; } },
          },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + (c.parsed.y === null ? "—" : c.parsed.y.toFixed(1) + "%"); } } },
        },
      },
    });
  }
}());
