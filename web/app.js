/* app.js: the sinspace serve page: a slippy map of the store's tiles,
 * drawing tools, the filters of `sinspace query`, a results table linked to
 * the map, and the buttons to save a fence, download the rows and print.
 * Everything it loads comes from the same server (no CDN). */
(function () {
  'use strict';

  var token = new URLSearchParams(window.location.search).get('token');
  var headers = token ? { 'Authorization': 'Bearer ' + token } : {};
  var tokenArg = token ? '&token=' + encodeURIComponent(token) : '';

  var state = { region: null, results: null, markers: {}, selected: null };
  window.sinspace = state; /* for the browser tests */

  function $(id) { return document.getElementById(id); }
  function message(text) { $('message').textContent = text || ''; }
  function setStatus(text, s) {
    var el = $('status');
    el.textContent = text;
    el.setAttribute('data-state', s);
  }

  function api(method, path, body) {
    var opts = { method: method, headers: Object.assign({}, headers) };
    if (body !== undefined) {
      opts.body = body;
      opts.headers['Content-Type'] = 'application/geo+json';
    }
    return fetch(path, opts).then(function (r) {
      if (r.ok) return r;
      return r.json().catch(function () { return { error: r.statusText }; })
        .then(function (j) { throw new Error(j.error || ('HTTP ' + r.status)); });
    });
  }

  function download(blob, name) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  /* ---- the map and its layers ---- */
  var map = L.map('map', { preferCanvas: true }).setView([13.72, 100.56], 13);
  function tiles(layers) {
    return L.tileLayer('tiles/{z}/{x}/{y}.png?layers=' + layers + tokenArg, {
      maxZoom: 19, tileSize: 256
    });
  }
  var imagery = tiles('imagery').addTo(map);
  var plain = L.layerGroup();
  var areas = tiles('areas').addTo(map);
  var zones = tiles('zones');
  var workplaces = tiles('workplaces').addTo(map);
  var fences = L.geoJSON(null, {
    style: { color: '#1565c0', weight: 2, dashArray: '6 4', fillOpacity: 0.05 },
    onEachFeature: function (f, l) { l.bindTooltip('fence ' + f.properties.name); }
  });
  var resultLayer = L.featureGroup().addTo(map);
  var drawn = new L.FeatureGroup().addTo(map);
  L.control.layers({ 'Imagery': imagery, 'Plain': plain },
    { 'Areas': areas, 'Zones': zones, 'Workplaces (all)': workplaces,
      'Saved fences': fences, 'Query results': resultLayer, 'Drawn area': drawn },
    { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  map.addControl(new L.Control.Draw({
    draw: { polyline: false, marker: false, circlemarker: false,
            polygon: { allowIntersection: false, showArea: false },
            rectangle: true, circle: true },
    edit: { featureGroup: drawn }
  }));

  /* A circle as a 128-vertex polygon on the sphere, so the query gets a
   * GeoJSON polygon like any other drawing. */
  function circlePolygon(c, radius) {
    var R = 6371008.8, d = radius / R, ring = [];
    var lat1 = c.lat * Math.PI / 180, lon1 = c.lng * Math.PI / 180;
    for (var i = 0; i <= 128; i++) {
      var b = (i % 128) / 128 * 2 * Math.PI;
      var lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) +
                           Math.cos(lat1) * Math.sin(d) * Math.cos(b));
      var lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1),
                                   Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
      ring.push([lon2 * 180 / Math.PI, lat2 * 180 / Math.PI]);
    }
    ring[128] = ring[0];
    return { type: 'Polygon', coordinates: [ring.reverse()] };
  }

  function regionOf(layer) {
    if (layer instanceof L.Circle) return circlePolygon(layer.getLatLng(), layer.getRadius());
    return layer.toGeoJSON().geometry;
  }

  map.on(L.Draw.Event.CREATED, function (e) {
    drawn.clearLayers();
    drawn.addLayer(e.layer);
    state.region = { type: 'Feature', properties: {}, geometry: regionOf(e.layer) };
    runQuery();
  });
  map.on(L.Draw.Event.EDITED, function () {
    var l = drawn.getLayers()[0];
    if (!l) return;
    state.region = { type: 'Feature', properties: {}, geometry: regionOf(l) };
    runQuery();
  });
  map.on(L.Draw.Event.DELETED, function () {
    state.region = null;
    showResults(null);
  });

  /* ---- filters and the query ---- */
  function filterArgs() {
    var p = new URLSearchParams();
    var v = $('f-min-risk').value;
    if (v) p.set('min_risk', v);
    var cls = Array.prototype.filter.call(document.querySelectorAll('#f-class input'),
      function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (cls.length) p.set('class', cls.join(','));
    var sec = Array.prototype.filter.call($('f-sector').options,
      function (o) { return o.selected; }).map(function (o) { return o.value; });
    if (sec.length) p.set('sector', sec.join(','));
    if ($('f-status').value) p.set('status', $('f-status').value);
    if ($('f-seen').value) p.set('seen_since', $('f-seen').value);
    return p.toString();
  }

  function runQuery() {
    if (!state.region) { message('Draw an area first.'); return; }
    message('');
    setStatus('querying…', 'busy');
    var q = filterArgs();
    api('POST', 'api/query' + (q ? '?' + q : ''), JSON.stringify(state.region))
      .then(function (r) { return r.json(); })
      .then(showResults)
      .catch(function (e) { setStatus('failed', 'error'); message(e.message); });
  }

  // The colours of styles/risk.sld, so the page, its tiles and the printed map agree.
  var colours = { high: '#d7191c', medium: '#fdae61', low: '#2c7bb6' };

  function showResults(fc) {
    state.results = fc;
    state.markers = {};
    state.selected = null;
    resultLayer.clearLayers();
    var tbody = $('table').querySelector('tbody');
    tbody.innerHTML = '';
    ['b-fence', 'b-geojson', 'b-csv', 'b-pdf'].forEach(function (id) {
      $(id).disabled = !fc;
    });
    if (!fc) { $('summary').textContent = ''; setStatus('draw an area to list them', 'idle'); return; }
    fc.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], {
        radius: 6, weight: 1.5, color: '#222', fillOpacity: 0.9,
        fillColor: colours[p['class']] || '#9e9e9e'
      }).addTo(resultLayer);
      m.bindTooltip(p.name + ' (' + p.sector + ', ' +
                    (p.risk == null ? 'unscored' : p.risk.toFixed(2)) + ')');
      m.on('click', function () { select(f.id, true); });
      state.markers[f.id] = m;
      var tr = document.createElement('tr');
      /* The workplace's own id is the feature's id and its "id", as in
       * `sinspace query --format geojson`. */
      tr.setAttribute('data-id', f.id);
      tr.setAttribute('data-ext-id', p.id);
      [p.id, p.name, p.sector, p.risk == null ? '' : p.risk.toFixed(2),
       p['class'] || 'unscored', p.status].forEach(function (v, i) {
        var td = document.createElement('td');
        td.textContent = v;
        if (i === 4) td.className = 'risk-' + (p['class'] || 'none');
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () { select(f.id, false); });
      tbody.appendChild(tr);
    });
    var s = fc.summary || {};
    $('summary').textContent = s.matched + ' workplaces: ' + s.high + ' high, ' +
      s.medium + ' medium, ' + s.low + ' low, ' + s.unscored + ' unscored' +
      (s.mean_risk != null ? '; mean risk ' + s.mean_risk.toFixed(2) : '');
    setStatus(fc.features.length + ' listed', 'done');
  }

  function select(id, fromMap) {
    if (state.selected !== null && state.markers[state.selected]) {
      state.markers[state.selected].setStyle({ radius: 6, weight: 1.5, color: '#222' });
      var old = document.querySelector('#table tr.selected');
      if (old) old.classList.remove('selected');
    }
    state.selected = id;
    var m = state.markers[id];
    if (m) {
      m.setStyle({ radius: 11, weight: 4, color: '#00e5ff' });
      m.bringToFront();
      m.openTooltip();
      if (!fromMap) map.panTo(m.getLatLng());
    }
    var tr = document.querySelector('#table tr[data-id="' + id + '"]');
    if (tr) {
      tr.classList.add('selected');
      tr.scrollIntoView({ block: 'nearest' });
    }
  }

  /* ---- buttons ---- */
  $('b-apply').addEventListener('click', runQuery);

  $('b-fence').addEventListener('click', function () {
    var name = window.prompt('Name of the fence');
    if (!name) return;
    api('POST', 'api/fences?name=' + encodeURIComponent(name), JSON.stringify(state.region))
      .then(function () { message('Saved fence "' + name + '".'); loadFences(); })
      .catch(function (e) { message(e.message); });
  });

  $('b-geojson').addEventListener('click', function () {
    download(new Blob([JSON.stringify(state.results)], { type: 'application/geo+json' }),
             'sinspace-query.geojson');
  });

  function csvCell(v) {
    if (v === null || v === undefined) return '';
    v = String(v);
    /* A leading =, +, - or @ would be a formula in a spreadsheet. */
    if (/^[=+\-@]/.test(v)) v = "'" + v;
    return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }

  $('b-csv').addEventListener('click', function () {
    /* The columns of `sinspace query --format csv`, then the page's two. */
    var cols = ['id', 'name', 'sector', 'risk', 'class'];
    var after = ['area', 'last_seen', 'name_local', 'status'];
    var lines = [cols.concat(['lon', 'lat']).concat(after).join(',')];
    state.results.features.forEach(function (f) {
      var get = function (c) { return f.properties[c]; };
      var row = cols.map(get).concat(f.geometry.coordinates).concat(after.map(get));
      lines.push(row.map(csvCell).join(','));
    });
    download(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }), 'sinspace-query.csv');
  });

  $('b-pdf').addEventListener('click', function () {
    message('Printing…');
    api('POST', 'api/map?paper=A4', JSON.stringify(state.region))
      .then(function (r) { return r.blob(); })
      .then(function (b) { message(''); download(b, 'sinspace-map.pdf'); })
      .catch(function (e) { message(e.message); });
  });

  /* Export a layer: inside the drawn area when there is one (sent as the
   * body, as the query sends it), with the filters for workplaces; the
   * audiences offered are those the server allows this page
   * (/api/info's "audiences"). */
  $('b-export').addEventListener('click', function () {
    var layer = $('e-layer').value;
    var q = 'layer=' + encodeURIComponent(layer) + '&audience=' +
            encodeURIComponent($('e-audience').value) + '&format=geojson';
    if (layer === 'workplaces') {
      var f = filterArgs();
      if (f) q += '&' + f;
    }
    var req = state.region ? api('POST', 'api/export?' + q, JSON.stringify(state.region))
                           : api('GET', 'api/export?' + q);
    message(state.region ? 'Exporting inside the drawn area…' : 'Exporting the whole layer…');
    req
      .then(function (r) { message(''); return r.blob(); })
      .then(function (b) { download(b, 'sinspace-' + $('e-layer').value + '.geojson'); })
      .catch(function (e) { message(e.message); });
  });

  function loadFences() {
    api('GET', 'api/fences').then(function (r) { return r.json(); })
      .then(function (fc) { fences.clearLayers(); fences.addData(fc); })
      .catch(function (e) { message(e.message); });
  }

  /* ---- start: open over the imagery, or the data ---- */
  api('GET', 'api/info').then(function (r) { return r.json(); }).then(function (info) {
    var e = info.imagery_extent || info.extent;
    if (e) map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { animate: false });
    var aud = $('e-audience');
    var labels = { 'public': 'public (displaced points, no names)',
                   'partner': 'partner (names, exact points)',
                   'internal': 'internal (everything)' };
    (info.audiences || ['public']).forEach(function (a) {
      var o = document.createElement('option');
      o.value = a;
      o.textContent = labels[a] || a;
      aud.appendChild(o);
    });
    /* The attribution from the store's own records (as the printed map's
     * credits): each imagery source with its attribution and date, each
     * boundary source with its levels. */
    var esc = function (t) {
      return String(t).replace(/[&<>"']/g, function (c) {
        return '&#' + c.charCodeAt(0) + ';';
      });
    };
    var imageryCredits = [], boundaryCredits = [];
    (info.credits || []).forEach(function (c) {
      if (c.kind === 'imagery') {
        var t = c.source || '';
        if (c.attribution && c.attribution !== c.source) t += (t ? ', ' : '') + c.attribution;
        t += ', ' + (c.acquired ? 'acquired ' + c.acquired : 'date unknown');
        imageryCredits.push(esc(t));
      } else if (c.kind === 'boundaries') {
        boundaryCredits.push(esc(c.source) + (c.levels ? ' (' + esc(c.levels) + ')' : ''));
      }
    });
    var credit = [];
    if (imageryCredits.length) credit.push('Imagery: ' + imageryCredits.join('; '));
    credit.push('Boundaries: ' + (boundaryCredits.length ? boundaryCredits.join('; ')
                                                         : 'source not recorded'));
    map.attributionControl.addAttribution(credit.join(' \u00b7 '));
    var sel = $('f-sector');
    (info.sectors || []).forEach(function (s) {
      var o = document.createElement('option');
      o.value = o.textContent = s;
      sel.appendChild(o);
    });
    state.ready = true;
    document.body.setAttribute('data-ready', '1');
  }).catch(function (e) { message(e.message); });
  loadFences();
})();
