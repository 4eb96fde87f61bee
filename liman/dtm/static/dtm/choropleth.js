// Choropleths of provinces or districts from the shipped COD-AB GeoJSON (no tile server, no request leaves
// the site). The same colour steps as the core map; any page that colours areas by a count uses this.
window.LimanChoropleth = (function () {
  const palette = ["#f1f4f8", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  function colour(value, max) {
    if (!value) return palette[0];
    const step = Math.max(1, Math.ceil((value / max) * (palette.length - 1)));
    return palette[Math.min(step, palette.length - 1)];
  }

  // Names come from data: a tooltip gets a text node, never an HTML string (Leaflet sets strings as innerHTML).
  function asText(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  // A count hidden because it is under the minimum cell arrives as null: it reads as the mark ("<11").
  function format(value, hiddenMark) {
    if (value === null && hiddenMark) return hiddenMark;
    return Number(value || 0).toLocaleString(document.documentElement.lang);
  }

  // counts: {p-code: number}; options.className marks each shape ("province", "district").
  function layer(geojson, counts, options) {
    const max = Math.max(1, ...Object.values(counts));
    return L.geoJSON(geojson, {
      style: (feature) => ({
        color: "#4a5a6a", weight: options.weight || 0.8, fillOpacity: 0.85,
        fillColor: colour(counts[feature.properties.pcode] || 0, max),
      }),
      onEachFeature: (feature, shape) => {
        shape.options.className = options.className || "area";
        const value = feature.properties.pcode in counts ? counts[feature.properties.pcode] : 0;
        shape.bindTooltip(asText(`${feature.properties.name}: ${format(value, options.hiddenMark)}`), { sticky: true });
      },
    });
  }

  function legend(title, counts, labelNone) {
    const max = Math.max(1, ...Object.values(counts));
    const rtl = document.documentElement.dir === "rtl";
    const control = L.control({ position: rtl ? "bottomleft" : "bottomright" });
    control.onAdd = () => {
      const box = L.DomUtil.create("div", "map-legend");
      const heading = document.createElement("strong");
      heading.textContent = title;
      box.appendChild(heading);
      const steps = [0, ...[1, 2, 3, 4, 5].map((i) => Math.ceil((max * i) / 5))];
      [...new Set(steps)].forEach((value) => {
        const row = document.createElement("div");
        const swatch = document.createElement("i");
        swatch.style.background = colour(value, max);
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(value === 0 ? labelNone : `≤ ${format(value)}`));
        box.appendChild(row);
      });
      return box;
    };
    return control;
  }

  return { asText, colour, format, layer, legend, palette };
})();
