// An operation's dashboard: province or district choropleth, site points and charts, from the figures the
// page carries in #dtm-dashboard (no inline script: the Content-Security-Policy forbids it).
(function () {
  const holder = document.getElementById("dtm-dashboard");
  const element = document.getElementById("dtm-map");
  if (!holder || !element || !window.L || !window.LimanChoropleth) return;
  const data = JSON.parse(holder.dataset.dashboard);
  const choropleth = window.LimanChoropleth;
  const rtl = document.documentElement.dir === "rtl";

  const map = L.map(element, { zoomSnap: 0.25 }).setView([39, 35.2], 5.5);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("OCHA COD-AB Türkiye, CC BY-IGO");
  const layers = { province: null, district: null };
  let legend = null;
  const sites = L.layerGroup();

  function show(level) {
    Object.values(layers).forEach((layer) => layer && map.removeLayer(layer));
    if (legend) map.removeControl(legend);
    const counts = level === "district" ? data.districts : data.provinces;
    layers[level].addTo(map);
    sites.addTo(map);
    legend = choropleth.legend(data.measure, counts, element.dataset.labelNone).addTo(map);
    document.querySelectorAll(".js-level").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.level === level));
    });
    element.dataset.level = level;
  }

  function load(level) {
    if (layers[level]) return Promise.resolve(layers[level]);
    const url = level === "district"
      ? `${element.dataset.districtsUrl}?province=${encodeURIComponent(data.district_provinces.join(","))}`
      : element.dataset.provincesUrl;
    return fetch(url, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((geojson) => {
        const counts = level === "district" ? data.districts : data.provinces;
        layers[level] = choropleth.layer(geojson, counts, {
          className: level, weight: level === "district" ? 0.4 : 0.8, hiddenMark: data.suppressed_mark,
        });
        element.dataset[`${level}s`] = String(geojson.features.length);
        return layers[level];
      });
  }

  const biggest = Math.max(1, ...data.sites.map((site) => site.individuals));
  data.sites.forEach((site) => {
    const marker = L.circleMarker([site.lat, site.lon], {
      radius: 3 + 9 * Math.sqrt((site.individuals || 0) / biggest), color: "#7a1f1f", weight: 1, fillOpacity: 0.7,
      className: "site",
    });
    marker.bindTooltip(choropleth.asText(`${site.name} (${site.site_id}): ${choropleth.format(site.individuals, data.suppressed_mark)}`));
    sites.addLayer(marker);
  });
  element.dataset.sites = String(data.sites.length);

  load("province").then((layer) => {
    show("province");
    const bounds = data.sites.length ? L.latLngBounds(data.sites.map((site) => [site.lat, site.lon])) : layer.getBounds();
    map.fitBounds(bounds.pad(0.3));
    element.dataset.loaded = "true";
  });
  document.querySelectorAll(".js-level").forEach((button) => {
    // Presence figures are by province only: no district map to offer then.
    if (button.dataset.level === "district" && !Object.keys(data.districts).length) button.hidden = true;
    button.addEventListener("click", () => load(button.dataset.level).then(() => show(button.dataset.level)));
  });

  if (!window.Chart) return;
  const colours = { sites: "#3182bd", flows: "#e6550d", presence: "#31a354", interceptions: "#756bb1", female: "#d6604d", male: "#4393c3" };
  function chart(id, block, options) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    if (!block.series.length) {
      const note = document.createElement("p");
      note.className = "muted empty";
      note.textContent = holder.dataset.labelEmpty;
      canvas.parentElement.replaceWith(note);
      return;
    }
    const axes = {};
    new window.Chart(canvas, {
      type: options.type || "bar",
      data: {
        labels: block.labels,
        datasets: block.series.map((series) => {
          // Stocks (people present) and flows differ by orders of magnitude: stocks get their own axis.
          const axis = options.splitStock && series.key === "presence" ? "stock" : "y";
          axes[axis] = true;
          return { label: series.label, data: series.data, backgroundColor: colours[series.key], borderColor: colours[series.key], yAxisID: axis };
        }),
      },
      options: {
        maintainAspectRatio: false,
        indexAxis: options.horizontal ? "y" : "x",
        plugins: { legend: { rtl: rtl, position: "bottom" } },
        scales: options.horizontal ? {} : Object.fromEntries(Object.keys(axes).map((axis) => [axis, { beginAtZero: true, position: axis === "stock" ? (rtl ? "left" : "right") : (rtl ? "right" : "left") }])),
      },
    });
    canvas.dataset.drawn = "true";
  }
  chart("chart-month", data.by_month, { splitStock: true });
  chart("chart-nationality", data.by_nationality, { horizontal: true });
  chart("chart-sex-age", data.by_sex_age, {});
})();
