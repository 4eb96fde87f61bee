// Reporting dashboards: new people by month as lines (Chart.js), from the figures the page carries in
// #reporting-trend's data-chart (no inline script: the Content-Security-Policy forbids it).
(function () {
  const canvas = document.getElementById("reporting-trend");
  if (!canvas || !window.Chart) return;
  const data = JSON.parse(canvas.dataset.chart || "{}");
  if (!data.labels) return;
  const palette = ["#08519c", "#3182bd", "#6baed6", "#e6550d", "#31a354", "#756bb1", "#636363", "#fd8d3c"];
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map((one, i) => ({
        label: one.label, data: one.data, borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length], tension: 0.2,
      })),
    },
    options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
  });
})();
