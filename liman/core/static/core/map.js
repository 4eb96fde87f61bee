// Province choropleth from the shipped COD-AB GeoJSON; no tile server, no request leaves the site.
(function () {
  const element = document.getElementById("map");
  if (!element || !window.L) return;
  const rtl = document.documentElement.dir === "rtl";
  const map = L.map(element, { zoomSnap: 0.25, attributionControl: true }).setView([39, 35.2], 5.5);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("OCHA COD-AB Türkiye, CC BY-IGO");
  const palette = ["#f1f4f8", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  // Names come from data: a tooltip gets a text node, never an HTML string (Leaflet sets strings as innerHTML).
  function asText(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function colour(value, max) {
    if (!value) return palette[0];
    const step = Math.max(1, Math.ceil((value / max) * (palette.length - 1)));
    return palette[Math.min(step, palette.length - 1)];
  }

  Promise.all([
    fetch(element.dataset.geojson, { credentials: "same-origin" }).then((r) => r.json()),
    fetch(element.dataset.counts, { credentials: "same-origin" }).then((r) => r.json()),
  ]).then(([provinces, data]) => {
    const counts = data.counts || {};
    const max = Math.max(1, ...Object.values(counts));
    const layer = L.geoJSON(provinces, {
      style: (feature) => ({
        color: "#4a5a6a", weight: 0.8, fillOpacity: 0.85,
        fillColor: colour(counts[feature.properties.pcode] || 0, max),
      }),
      onEachFeature: (feature, shape) => {
        const value = counts[feature.properties.pcode] || 0;
        shape.options.className = "province";
        shape.bindTooltip(asText(`${feature.properties.name}: ${value.toLocaleString(document.documentElement.lang)}`), { sticky: true });
      },
    }).addTo(map);
    // Each shape says which province it is and what it counts, for assistive tools and the browser tests.
    layer.eachLayer((shape) => {
      const path = shape.getElement && shape.getElement();
      if (!path) return;
      path.dataset.pcode = shape.feature.properties.pcode;
      path.dataset.count = String(counts[shape.feature.properties.pcode] || 0);
    });
    element.dataset.provinces = String(provinces.features.length);
    element.dataset.loaded = "true";
    map.fitBounds(layer.getBounds());
    const legend = L.control({ position: rtl ? "bottomleft" : "bottomright" });
    legend.onAdd = () => {
      const box = L.DomUtil.create("div", "map-legend");
      const title = document.createElement("strong");
      title.textContent = data.label;
      box.appendChild(title);
      box.appendChild(document.createElement("br"));
      const steps = [0, ...[1, 2, 3, 4, 5].map((i) => Math.ceil((max * i) / 5))];
      [...new Set(steps)].forEach((value) => {
        const row = document.createElement("div");
        const swatch = document.createElement("i");
        swatch.style.background = colour(value, max);
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(value === 0 ? element.dataset.labelNone : `≤ ${value.toLocaleString()}`));
        box.appendChild(row);
      });
      return box;
    };
    legend.addTo(map);
  });
})();
