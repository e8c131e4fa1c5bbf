/* The 期限 chart: drawn from the counts table on the page (its accessible equivalent), so
   the page carries no inline script and the two can never disagree. */
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("deadline-chart");
    var table = document.getElementById("deadline-counts");
    if (!canvas || !table || typeof window.Chart === "undefined") {
      return;
    }
    var labels = [];
    var counts = [];
    var colors = [];
    table.querySelectorAll("tbody tr").forEach(function (row) {
      labels.push(row.querySelector("th").textContent.trim());
      counts.push(Number(row.getAttribute("data-count")));
      colors.push(row.getAttribute("data-tone") === "overdue" ? "#a61b1b" : "#1d4f91");
    });
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#1f2933";
    canvas.setAttribute("data-drawn", "true");
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ label: "件数", data: counts, backgroundColor: colors }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
