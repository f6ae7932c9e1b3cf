// geojson_check.js: checks sinspace's GeoJSON output with two independent
// validators from npm (@placemarkio/check-geojson and geojson-validation,
// installed into tests/node by scripts/deps-npm.sh) plus the RFC 7946 rules
// they leave out: no "crs" member, right-hand winding (exterior rings
// counter-clockwise, holes clockwise), lon/lat ranges.
// Usage: node geojson_check.js FILE [--seq]   (exit 0 valid, 1 invalid)
'use strict';
const fs = require('fs');
const path = require('path');
const mods = path.join(__dirname, 'node', 'node_modules');
const { getIssues } = require(path.join(mods, '@placemarkio', 'check-geojson'));
const gjv = require(path.join(mods, 'geojson-validation'));

const file = process.argv[2];
const seq = process.argv.includes('--seq');
const text = fs.readFileSync(file, 'utf8');
const problems = [];

function signedArea(ring) {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++)
    s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s;
}
function checkPolygon(rings, where) {
  rings.forEach((r, i) => {
    const a = signedArea(r);
    if (i === 0 && a < 0) problems.push(where + ': exterior ring is clockwise');
    if (i > 0 && a > 0) problems.push(where + ': hole is counter-clockwise');
  });
}
function walk(g, where) {
  if (!g) return;
  if (g.type === 'Polygon') checkPolygon(g.coordinates, where);
  if (g.type === 'MultiPolygon') g.coordinates.forEach((p, i) => checkPolygon(p, where + '[' + i + ']'));
  if (g.type === 'GeometryCollection') g.geometries.forEach((x) => walk(x, where));
  const flat = JSON.stringify(g.coordinates || []).match(/-?[0-9.eE+-]+,-?[0-9.eE+-]+/g) || [];
  for (const pair of flat) {
    const [x, y] = pair.split(',').map(Number);
    if (x < -180 || x > 180 || y < -90 || y > 90) problems.push(where + ': position out of range');
  }
}
function checkText(t, where) {
  const issues = getIssues(t);
  for (const i of issues) problems.push(where + ': check-geojson: ' + i.message);
  const obj = JSON.parse(t);
  const errs = gjv.valid(obj, true);
  for (const e of errs) problems.push(where + ': geojson-validation: ' + e);
  if ('crs' in obj) problems.push(where + ': has a crs member');
  if (obj.type === 'FeatureCollection') obj.features.forEach((f, i) => walk(f.geometry, where + ' feature ' + i));
  else if (obj.type === 'Feature') walk(obj.geometry, where);
  return obj;
}

let count = 0;
if (seq) {
  const records = text.split(/[\x1e\n]/).filter((s) => s.trim().length);
  records.forEach((r, i) => { checkText(r, 'record ' + (i + 1)); count++; });
} else {
  const obj = checkText(text, file);
  count = obj.features ? obj.features.length : 0;
}
if (problems.length) {
  console.log(problems.slice(0, 20).join('\n'));
  process.exit(1);
}
console.log('valid ' + count);
