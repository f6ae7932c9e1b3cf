-- wrk script: tiles around Khlong Toei (the sample imagery) at zooms 12..17,
-- cycling, so the first round draws and later rounds hit the cache.
local paths = {}
local function lon2x(lon, z) return math.floor((lon + 180) / 360 * 2 ^ z) end
local function lat2y(lat, z)
  local r = math.rad(lat)
  return math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2 ^ z)
end
for z = 12, 17 do
  local x0, x1 = lon2x(100.550, z), lon2x(100.602, z)
  local y0, y1 = lat2y(13.743, z), lat2y(13.697, z)
  for x = x0, math.min(x1, x0 + 7) do
    for y = y0, math.min(y1, y0 + 7) do
      paths[#paths + 1] = string.format("/tiles/%d/%d/%d.png", z, x, y)
    end
  end
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
