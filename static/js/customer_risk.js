// The customer 360 page: the section nav follows the scroll, and the two charts (risk score one
// point a week with the band thresholds, on-time-in-full per month) are drawn from the JSON the
// page and the supply section embed. Most sections arrive after the page (htmx placeholders): the
// nav's scroll positions are measured again as they do, the supply chart is drawn when its section
// is loaded, and an address naming a section (#section-strategy) is scrolled to again once every
// section is in, unless the reader has scrolled meanwhile. Everything is served locally; without
// Chart.js the hidden tables still carry the data.
(function () {
  "use strict";

  var nav = document.getElementById("section-nav");
  var spy = null;
  if (nav && window.bootstrap && bootstrap.ScrollSpy) {
    spy = bootstrap.ScrollSpy.getOrCreateInstance(document.body, { target: "#section-nav", rootMargin: "0px 0px -65%" });
  }

  var readerScrolled = false;
  ["wheel", "touchmove", "keydown", "mousedown"].forEach(function (name) {
    window.addEventListener(name, function () { readerScrolled = true; }, { once: true, passive: true });
  });
  // The last sections settle a moment after the last placeholder is gone: scroll (at once, not
  // smoothly, or the layout moves under the animation) on each of them for a second.
  var allInAt = 0;
  document.body.addEventListener("htmx:afterSettle", function () {
    if (spy) { spy.refresh(); }
    if (readerScrolled || document.querySelector(".section-deferred[aria-busy=true]")) { return; }
    allInAt = allInAt || Date.now();
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && Date.now() - allInAt < 1000) { target.scrollIntoView({ behavior: "instant" }); }
  });

  if (typeof Chart === "undefined") { return; }
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return css.getPropertyValue(name).trim() || fallback; }
  var danger = color("--bs-danger", "#dc3545");
  var warning = color("--bs-warning", "#ffc107");
  var success = color("--bs-success", "#198754");
  var primary = color("--bs-primary", "#0d6efd");
  var grid = color("--bs-border-color", "#dee2e6");

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "[]") : [];
  }

  var weekly = data("score-weekly");
  var scoreCanvas = document.getElementById("score-chart");
  if (scoreCanvas && weekly.length) {
    var amber = Number(scoreCanvas.dataset.amber);
    var red = Number(scoreCanvas.dataset.red);
    function flat(value, label, lineColor) {
      return {
        label: label, data: weekly.map(function () { return value; }), borderColor: lineColor,
        borderDash: [4, 4], borderWidth: 1, pointRadius: 0, fill: false,
      };
    }
    new Chart(scoreCanvas, {
      type: "line",
      data: {
        labels: weekly.map(function (p) { return p.label; }),
        datasets: [
          {
            label: scoreCanvas.dataset.labelScore,
            data: weekly.map(function (p) { return p.score; }),
            borderColor: primary, backgroundColor: primary, tension: 0.2, spanGaps: false,
            pointRadius: 4,
            pointBackgroundColor: weekly.map(function (p) {
              return p.score === null ? primary : p.score >= red ? danger : p.score >= amber ? warning : success;
            }),
          },
          flat(red, scoreCanvas.dataset.labelRed + " " + red, danger),
          flat(amber, scoreCanvas.dataset.labelAmber + " " + amber, warning),
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { min: 0, max: 100, grid: { color: grid } }, x: { grid: { display: false } } },
      },
    });
  }

  function drawOtif() {
    var monthly = data("otif-monthly");
    var otifCanvas = document.getElementById("otif-chart");
    if (otifCanvas && monthly.length && !Chart.getChart(otifCanvas)) {
      new Chart(otifCanvas, {
        type: "bar",
        data: {
          labels: monthly.map(function (m) { return m.label; }),
          datasets: [{
            label: otifCanvas.dataset.labelOtif,
            data: monthly.map(function (m) { return m.otif === null ? null : Math.round(m.otif * 1000) / 10; }),
            backgroundColor: monthly.map(function (m) {
              return m.otif === null ? grid : m.otif >= 0.95 ? success : m.otif >= 0.9 ? warning : danger;
            }),
          }],
        },
        options: {
          maintainAspectRatio: false, animation: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: function (item) {
                  var m = monthly[item.dataIndex];
                  return item.formattedValue + "% · " + m.hits + " / " + m.lines + " " + otifCanvas.dataset.labelLines;
                },
              },
            },
          },
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } }, x: { grid: { display: false } } },
        },
      });
    }
  }
  // The supply section arrives after the page: draw its chart when it is in.
  htmx.onLoad(drawOtif);
})();
