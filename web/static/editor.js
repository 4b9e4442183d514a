/* The editor's form, improved when JavaScript runs (it works without):
   - the address field suggests addresses from the instance's /edit/geocode (Base Adresse
     Nationale behind it); choosing one fills the address and the position;
   - a Leaflet map shows the point; click or drag the pin to move it;
   - a place already used, picked from the name's list, brings its address and position.
   No inline script anywhere (the Content-Security-Policy allows only files from here). */
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  if (!form) { return; }
  var address = document.getElementById("f-place_address");
  var placeName = document.getElementById("f-place_name");
  var lat = document.getElementById("f-latitude");
  var lon = document.getElementById("f-longitude");
  var results = document.getElementById("address-results");
  var mapEl = document.getElementById("place-map");
  var map = null, marker = null;

  function numbers() {
    var a = parseFloat((lat.value || "").replace(",", "."));
    var b = parseFloat((lon.value || "").replace(",", "."));
    return isFinite(a) && isFinite(b) ? [a, b] : null;
  }

  function setPoint(point, zoom) {
    lat.value = point[0].toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
    lon.value = point[1].toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
    showPoint(point, zoom);
  }

  function showPoint(point, zoom) {
    if (!map) { return; }
    if (!marker) {
      marker = L.marker(point, { draggable: true, title: mapEl.dataset.label || "" }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        setPoint([p.lat, p.lng]);
      });
    } else {
      marker.setLatLng(point);
    }
    map.setView(point, zoom || Math.max(map.getZoom(), 16));
    mapEl.dataset.pin = point.join(",");
  }

  if (mapEl && window.L) {
    mapEl.hidden = false;
    map = L.map(mapEl, { scrollWheelZoom: false });
    L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
    var start = numbers();
    if (start) { showPoint(start, 16); } else { map.setView([46.6, 2.4], 5); }
    map.on("click", function (event) { setPoint([event.latlng.lat, event.latlng.lng]); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () { var p = numbers(); if (p) { showPoint(p); } });
    });
  }

  function choose(found) {
    address.value = found.label;
    if (placeName && !placeName.value) { placeName.value = found.name; }
    setPoint([found.latitude, found.longitude], 17);
    results.hidden = true;
    results.textContent = "";
  }

  var timer = null, asked = "";
  function suggest() {
    var query = address.value.trim();
    if (query.length < 3 || query === asked) { return; }
    asked = query;
    fetch("/edit/geocode?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        if (query !== address.value.trim()) { return; }
        results.textContent = "";
        (data.results || []).forEach(function (found) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = found.label;
          button.addEventListener("click", function () { choose(found); });
          item.appendChild(button);
          results.appendChild(item);
        });
        results.hidden = !results.children.length;
      }).catch(function () { results.hidden = true; });
  }
  if (address && results) {
    address.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 300);
    });
  }

  var known = document.getElementById("known-places");
  if (placeName && known) {
    placeName.addEventListener("change", function () {
      var wanted = placeName.value.trim().toLowerCase();
      Array.prototype.forEach.call(known.options, function (option) {
        if (option.value.trim().toLowerCase() !== wanted) { return; }
        if (option.dataset.address && !address.value) { address.value = option.dataset.address; }
        var a = parseFloat(option.dataset.latitude), b = parseFloat(option.dataset.longitude);
        if (isFinite(a) && isFinite(b) && !lat.value && !lon.value) { setPoint([a, b], 16); }
      });
    });
  }
})();
