// Complaint analytics: tickets by month (with the late ones) and by category, drawn from the JSON
// the page embeds. Everything is served locally; without Chart.js the tables still carry the data.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var node = document.getElementById("analytics-data");
  if (!node) { return; }
  var data = JSON.parse(node.textContent || "{}");
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return css.getPropertyValue(name).trim() || fallback; }
  var primary = color("--bs-primary", "#0d6efd");
  var danger = color("--bs-danger", "#dc3545");
  var warning = color("--bs-warning", "#ffc107");
  var secondary = color("--bs-secondary", "#6c757d");
  var grid = color("--bs-border-color", "#dee2e6");
  var integerTicks = { precision: 0 };

  var monthCanvas = document.getElementById("month-chart");
  if (monthCanvas && data.months && data.months.length) {
    new Chart(monthCanvas, {
      type: "bar",
      data: {
        labels: data.months.map(function (m) { return m.label; }),
        datasets: [
          { label: monthCanvas.dataset.labelTickets, data: data.months.map(function (m) { return m.tickets; }), backgroundColor: primary },
          { label: monthCanvas.dataset.labelResponse, data: data.months.map(function (m) { return m.response_missed; }), backgroundColor: warning },
          { label: monthCanvas.dataset.labelResolution, data: data.months.map(function (m) { return m.resolution_missed; }), backgroundColor: danger },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: integerTicks, grid: { color: grid } }, x: { grid: { display: false } } },
      },
    });
  }

  var categoryCanvas = document.getElementById("category-chart");
  if (categoryCanvas && data.categories && data.categories.length) {
    new Chart(categoryCanvas, {
      type: "bar",
      data: {
        labels: data.categories.map(function (c) { return c.label; }),
        datasets: [
          { label: categoryCanvas.dataset.labelTickets, data: data.categories.map(function (c) { return c.tickets; }), backgroundColor: primary },
          { label: categoryCanvas.dataset.labelRecurrent, data: data.categories.map(function (c) { return c.recurrent; }), backgroundColor: secondary },
        ],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { x: { beginAtZero: true, ticks: integerTicks, grid: { color: grid } }, y: { grid: { display: false } } },
      },
    });
  }
})();
