// Charts of the customer risk page: points per factor and the score over time.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var css = getComputedStyle(document.documentElement);
  var danger = css.getPropertyValue("--bs-danger").trim() || "#dc3545";
  var primary = css.getPropertyValue("--bs-primary").trim() || "#0d6efd";

  var factors = JSON.parse(document.getElementById("factor-data").textContent || "[]");
  var factorCanvas = document.getElementById("factor-chart");
  if (factorCanvas && factors.length) {
    new Chart(factorCanvas, {
      type: "bar",
      data: {
        labels: factors.map(function (f) { return f.label; }),
        datasets: [{
          data: factors.map(function (f) { return f.points === null ? 0 : Math.round(f.points * 10) / 10; }),
          backgroundColor: factors.map(function (f) { return (f.risk || 0) >= 65 ? danger : primary; }),
        }],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, suggestedMax: 30 } },
      },
    });
  }

  var series = JSON.parse(document.getElementById("score-series").textContent || "[]");
  var scoreCanvas = document.getElementById("score-chart");
  if (scoreCanvas && series.length > 1) {
    new Chart(scoreCanvas, {
      type: "line",
      data: {
        labels: series.map(function (p) { return p.day; }),
        datasets: [{ data: series.map(function (p) { return p.score; }), borderColor: danger, pointRadius: 0, tension: 0.2 }],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { min: 0, max: 100 } },
      },
    });
  }
})();
