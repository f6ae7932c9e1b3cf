// browser.js BASE_URL OUTDIR: drives Debian's headless Chromium through
// playwright-core over the serve page: waits for the map, draws a polygon
// with the leaflet-draw tool as a person would (clicks on the map), waits
// for the results table, clicks a row and checks its marker is highlighted,
// checks the audiences offered are the server's and that "Export a layer"
// sends the drawn area and the filters, then writes OUTDIR/region.geojson (the polygon the page queried),
// OUTDIR/ids.txt (the workplace ids, ext_id, in the table) and OUTDIR/page.png.
'use strict';
const path = require('path');
const fs = require('fs');
const base = process.argv[2];
const out = process.argv[3];
const vendor = process.env.SINSPACE_WEB_VENDOR ||
  path.join(__dirname, '..', '..', 'web', 'vendor-src', 'node_modules');
const { chromium } = require(path.join(vendor, 'playwright-core'));

function fail(msg) { console.error('browser.js: ' + msg); process.exitCode = 1; }

(async () => {
  const userDir = fs.mkdtempSync(path.join(out, 'chromium-'));
  // A new, empty profile (--user-data-dir) for every run.
  const browser = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60000,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
           '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = browser.pages()[0] || await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });
    // Nothing may be fetched from anywhere but the server under test.
    const foreign = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });

    await page.goto(base, { waitUntil: 'load', timeout: 30000 });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    await page.waitForTimeout(500); // the map settles on the imagery
    // The map opened over the imagery: wait for its tiles.
    await page.waitForFunction(() =>
      document.querySelectorAll('.leaflet-tile-loaded').length >= 4, null, { timeout: 30000 });

    // Draw a pentagon inside the map with the polygon tool.
    const box = await page.locator('#map').boundingBox();
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    const r = Math.min(box.width, box.height) * 0.3;
    const pts = [];
    for (let i = 0; i < 5; i++) {
      const a = -Math.PI / 2 + i * 2 * Math.PI / 5;
      pts.push([Math.round(cx + r * Math.cos(a)), Math.round(cy + r * Math.sin(a))]);
    }
    await page.click('.leaflet-draw-draw-polygon');
    // One vertex per click: wait for leaflet-draw's vertex marker before the
    // next click, so a slow machine cannot merge two clicks into one (or a
    // double click that ends the shape early).
    for (let i = 0; i < pts.length; i++) {
      await page.mouse.click(pts[i][0], pts[i][1]);
      await page.waitForFunction((n) =>
        document.querySelectorAll('.leaflet-editing-icon').length >= n, i + 1,
        { timeout: 30000 });
      await page.waitForTimeout(350);
    }
    // Finish as a person would: leaflet-draw's "Finish" action.
    await page.click('.leaflet-draw-actions a[title="Finish drawing"]');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]',
                               { timeout: 90000 });
    const st = await page.getAttribute('#status', 'data-state');
    if (st !== 'done')
      throw new Error('query failed: ' + await page.textContent('#message'));

    const region = await page.evaluate(() => window.sinspace.region);
    const ids = await page.$$eval('#table tbody tr', (rows) => rows.map((r) => r.dataset.id));
    const extIds = await page.$$eval('#table tbody tr', (rows) => rows.map((r) => r.dataset.extId));
    fs.writeFileSync(path.join(out, 'region.geojson'), JSON.stringify(region));
    fs.writeFileSync(path.join(out, 'ids.txt'), extIds.join('\n') + (ids.length ? '\n' : ''));
    if (ids.length === 0) fail('the drawn polygon listed no workplace');

    // A row click highlights its marker.
    if (ids.length) {
      const pick = ids[Math.floor(ids.length / 2)];
      await page.click(`#table tbody tr[data-id="${pick}"]`);
      const hl = await page.evaluate((id) => {
        const m = window.sinspace.markers[id];
        return { selected: window.sinspace.selected, radius: m && m.options.radius,
                 row: document.querySelector('#table tr.selected').dataset.id };
      }, pick);
      if (String(hl.selected) !== pick || hl.radius !== 11 || hl.row !== pick)
        fail('row ' + pick + ' did not highlight its marker: ' + JSON.stringify(hl));
    }
    // The audiences offered are the server's (no internal token here), and
    // "Export a layer" sends the drawn area (the body) and the filters.
    const audiences = await page.$$eval('#e-audience option', (os) => os.map((o) => o.value));
    if (audiences.join(',') !== 'public,partner')
      fail('the audience list is ' + audiences.join(',') + ', not the server\'s public,partner');
    await page.check('#f-class input[value="high"]');
    const [exp] = await Promise.all([
      page.waitForRequest((q) => q.url().includes('/api/export'), { timeout: 30000 }),
      page.click('#b-export'),
    ]);
    const expUrl = new URL(exp.url());
    if (exp.method() !== 'POST' || expUrl.searchParams.get('class') !== 'high' ||
        expUrl.searchParams.get('layer') !== 'workplaces' ||
        JSON.stringify(JSON.parse(exp.postData() || 'null')) !== JSON.stringify(region))
      fail('the export did not send the drawn area and filters: ' + exp.method() + ' ' +
           exp.url() + ' ' + String(exp.postData()).slice(0, 80));
    const expResp = await exp.response();
    if (!expResp || expResp.status() !== 200)
      fail('the export answered ' + (expResp && expResp.status()));

    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(out, 'page.png') });
    if (errors.length) fail('page errors: ' + errors.join(' | '));
    if (foreign.length) fail('requests outside the server: ' + foreign.join(' '));
    console.log('browser.js: ' + ids.length + ' workplaces listed');
  } catch (e) {
    fail(e.stack || String(e));
    try {
      const page = browser.pages()[0];
      console.error('page message: ' + await page.textContent('#message'));
      console.error('status: ' + await page.textContent('#status'));
      await page.screenshot({ path: path.join(out, 'failed.png') });
      if (process.env.SINSPACE_WEB_SHOTS)
        fs.copyFileSync(path.join(out, 'failed.png'),
                        path.join(process.env.SINSPACE_WEB_SHOTS, 'serve-failed.png'));
    } catch (e2) { /* the page is gone */ }
  } finally {
    await browser.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
})();
