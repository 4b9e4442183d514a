/* The reader's map: markers from the page's GeoJSON export, clustered; Leaflet and
   markercluster are served from their Python packages. No inline script: the page only
   carries data attributes (CSP-friendly). Without JavaScript the page shows the list. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  el.classList.add("live");

  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  var point = (el.dataset.point || "").split(",").map(Number);
  if (point.length === 2 && point.every(isFinite)) {
    /* One place (an event's or an initiative's page): a marker, no clustering, no fetch. */
    map.setView(point, 15);
    L.marker(point, { title: el.dataset.label || "" }).addTo(map);
    el.dataset.loaded = "1";
    return;
  }
  var box = (el.dataset.bbox || "").split(",").map(Number);
  if (box.length === 4 && box.every(isFinite)) {
    map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
  } else {
    map.setView([46.6, 2.4], 5);
    box = null;
  }
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false });
  map.addLayer(cluster);

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }

  /* The event's date in the page's language and the event's own zone, with that zone's
     name, as the pages word it ("samedi 5 décembre 2026 à 14:00 – 17:00 (Europe/Paris)"). */
  function when(p) {
    if (!p.start_time || !window.Intl) { return null; }
    var options = { dateStyle: "full", timeStyle: "short" };
    var formatter;
    try {
      formatter = new Intl.DateTimeFormat(document.documentElement.lang || "fr",
        p.timezone ? Object.assign({ timeZone: p.timezone }, options) : options);
    } catch (e) {  /* a zone this browser does not know: the reader's own */
      formatter = new Intl.DateTimeFormat(document.documentElement.lang || "fr", options);
    }
    var start = new Date(p.start_time);
    var text = p.end_time && formatter.formatRange
      ? formatter.formatRange(start, new Date(p.end_time)) : formatter.format(start);
    return p.timezone ? text + " (" + p.timezone + ")" : text;
  }
  window.maillageWhen = when;  /* for the browser tests */

  function popup(p) {
    var root = document.createElement("div");
    root.className = "popup";
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.title;
    var title = document.createElement("strong");
    title.appendChild(link);
    root.appendChild(title);
    var date = when(p);
    if (date) { root.appendChild(text("div", date, "when")); }
    if (p.place) { root.appendChild(text("div", p.place, "place")); }
    if (p.territory) { root.appendChild(text("div", p.territory, "source")); }
    return root;
  }

  var more = null;
  if (el.dataset.more && el.dataset.feed) {
    more = document.createElement("a");
    more.className = "map-more";
    more.textContent = el.dataset.more;
    el.insertAdjacentElement("afterend", more);
    var update = function () {
      var b = map.getBounds();
      var params = new URLSearchParams(window.location.search);
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return Math.max(-180, Math.min(180, v)).toFixed(4); }).join(","));
      more.href = el.dataset.feed + "?" + params.toString();
    };
    map.on("moveend", update);
    update();
  }

  fetch(el.dataset.geojson, { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
      });
      cluster.addLayer(layer);
      var count = layer.getLayers().length;
      if (!box && count) { map.fitBounds(cluster.getBounds(), { maxZoom: 12, padding: [24, 24] }); }
      el.dataset.loaded = String(count);
    })
    .catch(function () { el.dataset.loaded = "error"; });
}());
