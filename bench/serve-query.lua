-- wrk script: POST /api/query with rectangles of several sizes over the
-- sample's Bangkok districts, cycling through them.
local bodies = {}
for k = 1, 20 do
  local w = 0.004 * k
  local x0, y0 = 100.53 + 0.001 * k, 13.69 + 0.0007 * k
  bodies[k] = string.format(
    '{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}',
    x0, y0, x0 + w, y0, x0 + w, y0 + w, x0, y0 + w, x0, y0)
end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/api/query", {["Content-Type"] = "application/geo+json"}, bodies[i])
end
