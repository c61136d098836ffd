/* "Try sites": the what-if panel of planner's map.html. The data and the arithmetic are
   described in planner/try_sites.py (TrySites.evaluate is the same arithmetic in Python).
   Works offline: everything it needs is in `data`, embedded in the page. Its texts come from
   the planner's catalogs: gettext/ngettext below are those of plannerI18n, which the page
   defines before this script with the table of these texts in the run's language
   (planner.i18n.js_script). */
function plannerTrySites(map, data) {
  "use strict";
  var started = performance.now();
  var I = plannerI18n, gettext = I.gettext, ngettext = I.ngettext, fill = I.format;
  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }
  function varints(b64) {  // unsigned LEB128
    var b = bytes(b64), out = [], v = 0, mul = 1;
    for (var i = 0; i < b.length; i++) {
      v += (b[i] & 127) * mul;
      if (b[i] & 128) { mul *= 128; } else { out.push(v); v = 0; mul = 1; }
    }
    return out;
  }
  function numbersOf(b64, size, read) {
    var b = bytes(b64), view = new DataView(b.buffer), n = b.length / size;
    var out = size === 8 ? new Float64Array(n) : new Int32Array(n);
    for (var i = 0; i < n; i++) { out[i] = read.call(view, size * i, true); }
    return out;
  }
  var fmtInt = I.fmtInt;
  function fmtShare(x) { return I.fmtShare(x, 1); }
  function esc(s) { return plannerEscape(s); }

  var n = data.ids.length;
  data.names = data.nameIndex.map(function (i) { return i < 0 ? null : data.nameList[i]; });
  var stream = varints(data.sets);
  var start = new Int32Array(n + 1), members = new Int32Array(stream.length - n);
  var p = 0, q = 0;
  for (var i = 0; i < n; i++) {
    var len = stream[p++], v = 0;
    start[i] = q;
    for (var j = 0; j < len; j++) { v += stream[p++]; members[q++] = v; }
  }
  start[n] = q;
  var pop = numbersOf(data.population, 8, DataView.prototype.getFloat64);
  var bx = numbersOf(data.bx, 4, DataView.prototype.getInt32);
  var by = numbersOf(data.by, 4, DataView.prototype.getInt32);
  var count = new Int32Array(pop.length);
  var chosen = new Uint8Array(n);
  var selected = [];
  var row = {};
  data.ids.forEach(function (id, r) { row[id] = r; });
  var alone = new Float64Array(n);
  for (var r = 0; r < n; r++) {
    for (var k = start[r]; k < start[r + 1]; k++) { alone[r] += pop[members[k]]; }
  }
  var spacing = data.spacingM || 100;
  var kindStyle = {
    candidate: {color: "#546e7a", radius: 3.5},
    site: {color: "#6a1b9a", radius: 5},
    proposal: {color: "#e65100", radius: 5}
  };
  function label(r) {
    var name = data.names[r];
    return name ? name : data.ids[r];
  }

  var renderer = L.canvas({padding: 0.5});
  var markers = [];
  var sitesLayer = L.featureGroup();
  for (var m = 0; m < n; m++) {
    var st = kindStyle[data.kinds[m]] || kindStyle.candidate;
    var marker = L.circleMarker([data.lat[m], data.lon[m]], {
      renderer: renderer, radius: st.radius, weight: 1.5, color: st.color,
      fillColor: "#ffffff", fillOpacity: 0.9, bubblingMouseEvents: false
    });
    marker._plannerRow = m;
    marker.bindTooltip(tooltip.bind(null, m), {sticky: true});
    marker.on("click", function (e) { timedToggle(e.target._plannerRow); });
    markers.push(marker);
    sitesLayer.addLayer(marker);
  }
  function tooltip(r) {
    var kind = {
      site: gettext("site of the plan"),
      proposal: gettext("proposal"),
      candidate: gettext("candidate site")
    };
    return '<div class="planner-title">' + esc(label(r)) + "</div>"
      + '<table class="planner-table"><tr><th>' + esc(kind[data.kinds[r]] || gettext("site"))
      + "</th><td>" + esc(data.ids[r]) + "</td></tr><tr><th>"
      + esc(gettext("Residents newly covered, alone"))
      + "</th><td>" + fmtInt(alone[r]) + "</td></tr></table>"
      + esc(chosen[r] ? gettext("click to remove from my plan")
        : gettext("click to add to my plan"));
  }
  var homes = L.featureGroup();
  sitesLayer.addTo(map);
  homes.addTo(map);

  var panel = L.control({position: "topleft"});
  var div;
  panel.onAdd = function () {
    div = L.DomUtil.create("div", "planner-try");
    var before = data.existing;
    var shown = data.nCandidates > n
      ? fill(gettext("candidate sites on the map ({n} best of {total})"),
             {n: fmtInt(n), total: fmtInt(data.nCandidates)})
      : fill(gettext("candidate sites on the map ({n})"), {n: fmtInt(n)});
    div.innerHTML = '<h4 data-try="title" title="' + esc(gettext("click to fold or unfold"))
      + '">' + esc(gettext("Try sites")) + "</h4>"
      + '<div data-try="body">'
      + '<label><input type="checkbox" data-try="show" checked> ' + esc(shown) + "</label>"
      + '<div class="planner-try-hint">'
      + esc(fill(gettext("Click a site, or a street (the nearest site within {metres} m), to "
                         + "add it to my plan or remove it."), {metres: fmtInt(spacing)}))
      + "</div>"
      + '<table class="planner-try-totals">'
      + "<tr><td>" + esc(gettext("Sites in my plan"))
      + '</td><td class="n" data-try="count">0</td></tr>'
      + "<tr><td>" + esc(fill(gettext("Residents newly within {metres} m"),
                              {metres: fmtInt(data.maxWalkM)})) + "</td>"
      + '<td class="n" data-try="newly">0</td></tr>'
      + "<tr><td>" + esc(gettext("Covered now")) + '</td><td class="n" data-try="before">'
      + fmtInt(before) + " (" + fmtShare(data.total > 0 ? before / data.total : 0)
      + ")</td></tr>"
      + "<tr><td>" + esc(gettext("Covered with my plan"))
      + '</td><td class="n" data-try="after"></td></tr></table>'
      + '<div class="planner-try-list"><table class="planner-try-sites"><thead><tr><th>'
      + esc(gettext("Site")) + "</th>"
      + '<th title="' + esc(gettext("Residents this site newly covers on its own")) + '">'
      + esc(gettext("alone")) + "</th>"
      + '<th title="'
      + esc(gettext("Residents only this site covers in my plan (lost if it is dropped)"))
      + '">' + esc(gettext("marginal"))
      + "</th><th></th></tr></thead><tbody data-try=\"sites\"></tbody></table></div>"
      + '<div class="planner-try-buttons"><button type="button" data-try="clear">'
      + esc(gettext("Clear")) + "</button>"
      + '<button type="button" data-try="best"></button>'
      + '<button type="button" data-try="save">' + esc(gettext("Save as CSV"))
      + "</button></div>"
      + '<div class="planner-try-msg" data-try="msg"></div></div>';
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    div.querySelector('[data-try="title"]').addEventListener("click", function () {
      var body = div.querySelector('[data-try="body"]');
      body.style.display = body.style.display === "none" ? "" : "none";
    });
    div.querySelector('[data-try="show"]').addEventListener("change", function (e) {
      if (e.target.checked) { sitesLayer.addTo(map); } else { map.removeLayer(sitesLayer); }
    });
    div.querySelector('[data-try="clear"]').addEventListener("click", function () {
      setSelection([]); say("");
    });
    div.querySelector('[data-try="best"]').addEventListener("click", function () { loadBest(); });
    div.querySelector('[data-try="save"]').addEventListener("click", function () { save(); });
    div.querySelector('[data-try="sites"]').addEventListener("click", function (e) {
      // the list is redrawn, so the map could no longer tell this click came from the panel
      L.DomEvent.stopPropagation(e);
      var r = e.target.getAttribute("data-row");
      if (r !== null) { timedToggle(Number(r)); }
    });
    return div;
  };
  panel.addTo(map);
  function part(key) { return div.querySelector('[data-try="' + key + '"]'); }
  function say(text) { part("msg").textContent = text; }

  function add(r, delta) {
    for (var k = start[r]; k < start[r + 1]; k++) { count[members[k]] += delta; }
  }
  function toggle(r) {
    if (chosen[r]) {
      chosen[r] = 0; add(r, -1);
      selected.splice(selected.indexOf(r), 1);
    } else {
      chosen[r] = 1; add(r, 1);
      selected.push(r);
    }
    redraw();
  }
  function setSelection(rows) {
    selected.forEach(function (r) { chosen[r] = 0; add(r, -1); });
    selected = [];
    rows.forEach(function (r) {
      if (!chosen[r]) { chosen[r] = 1; add(r, 1); selected.push(r); }
    });
    redraw();
  }
  var timing = {lastClickMs: null, lastPaintMs: null, initMs: null};
  function timedToggle(r) {
    var t0 = performance.now();
    toggle(r);
    timing.lastClickMs = performance.now() - t0;
    requestAnimationFrame(function () {
      setTimeout(function () { timing.lastPaintMs = performance.now() - t0; }, 0);
    });
  }

  function numbers() {  // the arithmetic of TrySites.evaluate
    var newly = 0;
    for (var b = 0; b < pop.length; b++) { if (count[b] > 0) { newly += pop[b]; } }
    var after = data.existing + newly;
    return {
      newly_covered: newly,
      covered_after: after,
      share_after: data.total > 0 ? after / data.total : 0,
      sites: selected.map(function (r) {
        var own = 0, only = 0;
        for (var k = start[r]; k < start[r + 1]; k++) {
          var w = pop[members[k]];
          own += w;
          if (count[members[k]] === 1) { only += w; }
        }
        return {id: data.ids[r], alone: own, marginal: only};
      })
    };
  }

  function redraw() {
    var result = numbers();
    part("count").textContent = String(selected.length);
    part("newly").textContent = fmtInt(result.newly_covered);
    part("after").textContent = fmtInt(result.covered_after) + " ("
      + fmtShare(result.share_after) + ")";
    part("sites").innerHTML = result.sites.map(function (s, i) {
      var r = selected[i];
      return "<tr><td>" + esc(label(r)) + '</td><td class="n">' + fmtInt(s.alone)
        + '</td><td class="n">' + fmtInt(s.marginal) + '</td><td><button type="button" '
        + 'class="planner-try-remove" title="' + esc(gettext("remove from my plan"))
        + '" data-row="' + r
        + '">\u00d7</button></td></tr>';
    }).join("");
    var size = selected.length || data.defaultSize;
    part("best").textContent = fill(
      ngettext("Best plan of {n} site", "Best plan of {n} sites", size), {n: String(size)});
    markers.forEach(function (mk, r) {
      var st = kindStyle[data.kinds[r]] || kindStyle.candidate;
      var on = chosen[r] === 1;
      if (on !== (mk._plannerOn === true)) {
        mk.setStyle({fillColor: on ? "#00c853" : "#ffffff", fillOpacity: on ? 1 : 0.9});
        mk.setRadius(on ? st.radius + 3 : st.radius);
        mk._plannerOn = on;
        if (on) { mk.bringToFront(); }
      }
    });
    homes.clearLayers();
    for (var b = 0; b < pop.length; b++) {
      if (count[b] > 0) {
        homes.addLayer(L.circleMarker([by[b] / 1e6, bx[b] / 1e6], {
          renderer: renderer, radius: 2.5, weight: 0, fillColor: "#00a152", fillOpacity: 0.9,
          interactive: false
        }));
      }
    }
    return result;
  }

  function loadBest() {
    var size = selected.length || data.defaultSize;
    var most = data.best.length - 1;
    if (size > most) {
      say(fill(ngettext(
        "The best plans are in this map for up to {most} sites; run planner plan --n-sites {n} "
          + "for {n}.",
        "The best plans are in this map for up to {most} sites; run planner plan --n-sites {n} "
          + "for {n}.", most), {most: String(most), n: String(size)}));
      return null;
    }
    var rows = data.best[size];
    setSelection(rows);
    var value = numbers().newly_covered, bound = Math.max(data.bestBound[size], value);
    var text, values = {
      n: String(size), residents: fmtInt(value), bound: fmtInt(bound),
      share: fmtShare((bound - value) / bound)
    };
    if (bound - value <= 1e-6 * Math.max(bound, 1)) {
      text = fill(ngettext(
        "Best plan of {n} sites: {residents} residents newly covered, proven the most any {n} "
          + "sites can cover.",
        "Best plan of {n} sites: {residents} residents newly covered, proven the most any {n} "
          + "sites can cover.", size), values);
    } else {
      text = fill(ngettext(
        "Best plan of {n} sites: {residents} residents newly covered; no {n} sites can cover "
          + "more than {bound} (at most {share} short).",
        "Best plan of {n} sites: {residents} residents newly covered; no {n} sites can cover "
          + "more than {bound} (at most {share} short).", size), values);
    }
    if (rows.length < size) {
      text += " " + fill(ngettext(
        "Only {n} sites add anybody; more would not help.",
        "Only {n} sites add anybody; more would not help.", rows.length),
        {n: String(rows.length)});
    }
    say(text);
    return numbers();
  }

  function csv() {
    var lines = ["name,lat,lon,site_id,alone_residents,marginal_residents"];
    // (a regex literal after "return" would stop Babel's extractor: the texts below it would
    // be missing from the catalogs)
    var special = /[",\n\r]/;
    function cell(s) { return special.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
    numbers().sites.forEach(function (s, i) {
      var r = selected[i];
      lines.push([cell(label(r)), data.lat[r].toFixed(8), data.lon[r].toFixed(8), cell(s.id),
                  s.alone.toFixed(1), s.marginal.toFixed(1)].join(","));
    });
    return lines.join("\n") + "\n";
  }
  function save() {
    if (!selected.length) { say(gettext("Nothing to save: add sites to my plan first.")); return; }
    var a = document.createElement("a");
    a.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv());
    a.download = "my_sites.csv";
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    say(gettext("Saved my_sites.csv: check it with planner evaluate --proposals my_sites.csv."));
  }

  var popupJustOpened = false;
  map.on("popupopen", function (e) {
    var source = e.popup._source;
    if (!source || !source.getLatLng) {
      // an area's popup (a district): the click that opened it may pick a site instead
      var popup = e.popup;
      if (pickAt(popup.getLatLng(), true)) {
        setTimeout(function () { map.closePopup(popup); }, 0);
      }
      return;
    }
    // a click that opened a marker's popup does not also pick a site
    popupJustOpened = true;
    setTimeout(function () { popupJustOpened = false; }, 0);
    // a proposed site's or proposal's marker hides the clickable site below it: its popup
    // gets a button instead
    var at = source.getLatLng(), r = nearest(at);
    if (r < 0 || map.distance(at, L.latLng(data.lat[r], data.lon[r])) > 2) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "planner-try-popup";
    button.setAttribute("data-try", "popup");
    button.textContent = chosen[r] ? gettext("Remove from my plan (Try sites)")
      : gettext("Add to my plan (Try sites)");
    button.addEventListener("click", function (ev) {
      L.DomEvent.stopPropagation(ev);
      timedToggle(r);
      map.closePopup();
    });
    // next to the content, which Leaflet rebuilds on every update
    var box = document.createElement("div");
    box.className = "planner-try-popup-box";
    box.appendChild(button);
    var wrapper = e.popup.getElement().querySelector(".leaflet-popup-content-wrapper");
    var before = wrapper.querySelector(".planner-try-popup-box");  // the popup is reused
    if (before) { wrapper.removeChild(before); }
    wrapper.appendChild(box);
  });
  function nearest(latlng) {
    var cos = Math.cos(latlng.lat * Math.PI / 180), best = -1, bestD = Infinity;
    for (var r = 0; r < n; r++) {
      var dx = (data.lon[r] - latlng.lng) * cos, dy = data.lat[r] - latlng.lat;
      var d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = r; }
    }
    return best;
  }
  // A click picks the nearest clickable site within the candidate spacing. It reaches the map
  // as a map click, or, where an area with a popup (a district) lies under it, as that popup
  // opening (Leaflet stops the map click there); the area's popup then gives way to the pick.
  function pickAt(latlng, quietIfFar) {
    if (!map.hasLayer(sitesLayer) || !n) { return false; }
    var t0 = performance.now();
    var best = nearest(latlng);
    var metres = map.distance(latlng, L.latLng(data.lat[best], data.lon[best]));
    if (metres <= spacing) {
      timedToggle(best);
      timing.lastClickMs = performance.now() - t0;
      say(fill(chosen[best] ? gettext("Added {site} ({metres} m from the click).")
        : gettext("Removed {site} ({metres} m from the click)."),
        {site: label(best), metres: fmtInt(metres)}));
      return true;
    }
    if (!quietIfFar) {
      var values = {spacing: fmtInt(spacing), metres: fmtInt(metres), n: fmtInt(n)};
      say(fill(data.nCandidates > n
        ? ngettext(
          "No clickable site within {spacing} m of this point (the nearest is {metres} m away). "
            + "The sites lie along streets near residents without a station; the map offers "
            + "the {n} that cover the most residents alone (planner plan --try-sites N for "
            + "more).",
          "No clickable site within {spacing} m of this point (the nearest is {metres} m away). "
            + "The sites lie along streets near residents without a station; the map offers "
            + "the {n} that cover the most residents alone (planner plan --try-sites N for "
            + "more).", n)
        : gettext("No clickable site within {spacing} m of this point (the nearest is {metres} "
                  + "m away). The sites lie along streets near residents without a station."),
        values));
    }
    return false;
  }
  map.on("click", function (e) {
    if (!popupJustOpened) { pickAt(e.latlng, false); }
  });
  redraw();

  window.plannerTrySites = {
    candidates: function () {
      return data.ids.map(function (id, r) {
        return {id: id, name: data.names[r], lon: data.lon[r], lat: data.lat[r],
                kind: data.kinds[r]};
      });
    },
    select: function (ids) {
      var unknown = ids.filter(function (id) { return !(id in row); });
      if (unknown.length) {
        throw new Error("plannerTrySites.select: not clickable sites of this map: "
                        + unknown.slice(0, 10).join(", "));
      }
      setSelection(ids.map(function (id) { return row[id]; }));
      return numbers();
    },
    selection: function () { return selected.map(function (r) { return data.ids[r]; }); },
    numbers: numbers,
    loadBest: loadBest,
    csv: csv,
    highlighted: function () { return homes.getLayers().length; },
    timing: timing,
    map: map
  };
  timing.initMs = performance.now() - started;
}
