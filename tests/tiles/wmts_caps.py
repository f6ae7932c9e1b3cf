#!/usr/bin/python3
"""wmts_caps.py BASEURL MAXZOOM > WMTSCapabilities.xml

A WMTS GetCapabilities document for the loopback tile server: one layer
"s2" (and a second, "s2b", when --two is given, so a client must choose)
over the GoogleMapsCompatible tile matrix set, tiles at
BASEURL/{TileMatrix}/{TileCol}/{TileRow}.png.
"""
import math
import sys

base, maxz = sys.argv[1], int(sys.argv[2])
two = "--two" in sys.argv
R = 6378137.0
matrices = []
for z in range(maxz + 1):
    scale = 2 * math.pi * R / 256 / 2 ** z / 0.00028
    matrices.append(
        "<TileMatrix><ows:Identifier>%d</ows:Identifier><ScaleDenominator>%.10f</ScaleDenominator>"
        "<TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner>"
        "<TileWidth>256</TileWidth><TileHeight>256</TileHeight>"
        "<MatrixWidth>%d</MatrixWidth><MatrixHeight>%d</MatrixHeight></TileMatrix>"
        % (z, scale, 2 ** z, 2 ** z))


def layer(name):
    return ("<Layer><ows:Identifier>%s</ows:Identifier>"
            "<ows:WGS84BoundingBox><ows:LowerCorner>100.5 13.6</ows:LowerCorner>"
            "<ows:UpperCorner>100.7 13.8</ows:UpperCorner></ows:WGS84BoundingBox>"
            "<Style isDefault=\"true\"><ows:Identifier>default</ows:Identifier></Style>"
            "<Format>image/png</Format><TileMatrixSetLink><TileMatrixSet>g</TileMatrixSet>"
            "</TileMatrixSetLink><ResourceURL format=\"image/png\" resourceType=\"tile\" "
            "template=\"%s/{TileMatrix}/{TileCol}/{TileRow}.png\"/></Layer>" % (name, base))


print('<?xml version="1.0"?><Capabilities xmlns="http://www.opengis.net/wmts/1.0" '
      'xmlns:ows="http://www.opengis.net/ows/1.1" version="1.0.0"><Contents>'
      + layer("s2") + (layer("s2b") if two else "")
      + "<TileMatrixSet><ows:Identifier>g</ows:Identifier>"
      "<ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>"
      + "".join(matrices) + "</TileMatrixSet></Contents></Capabilities>")
