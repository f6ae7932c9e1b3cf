#!/usr/bin/python3
"""The Mapnik anchor of the render benchmark (bench/run.py, task render).

Draws what `sinspace map` draws, the way a Mapnik user would: the imagery
through the gdal plugin, the workplaces from the sinspace database through
the sqlite plugin (the workplaces_risk view, SpatiaLite blobs), three rules
by risk class with the colours of styles/risk.sld, and a [name] label with
a halo.  The page is the sinspace PNG's pixel grid (size and geotransform
from its .aux.xml, passed on the command line), in the map CRS.

    /usr/bin/python3 bench/mapnik_render.py DB BASEMAP OUT.png|OUT.pdf \\
        WIDTH HEIGHT X0,Y0,X1,Y1 SRS [--count]

Runs with Debian's python3 (python3-mapnik is built for it).  A PDF goes
through cairo with one point per pixel, so it holds the same imagery
pixels as the PNG.  --count prints, without drawing, the workplaces the
three rules would draw inside the extent.
"""
import sys
from xml.sax.saxutils import escape, quoteattr

import mapnik

# styles/risk.sld: low, medium, high.
COLOURS = (('low', '#2c7bb6'), ('medium', '#fdae61'), ('high', '#d7191c'))


def map_xml(db, basemap, srs):
    rules = ''.join(
        '<Rule><Filter>[risk_class] = \'%s\'</Filter>'
        '<MarkersSymbolizer fill="%s" stroke="#ffffff" stroke-width="1.5" width="14" '
        'height="14" allow-overlap="true" ignore-placement="true"/></Rule>' % (cls, colour)
        for cls, colour in COLOURS)
    labels = ('<Rule><Filter>[risk_class] = \'low\' or [risk_class] = \'medium\' or '
              '[risk_class] = \'high\'</Filter>'
              '<TextSymbolizer fontset-name="sans" size="18" fill="#202020" halo-fill="#ffffff" '
              'halo-radius="2" dy="-14" placement="point">[name]</TextSymbolizer></Rule>')
    params = lambda d: ''.join('<Parameter name=%s>%s</Parameter>' % (quoteattr(k), escape(v))
                               for k, v in d.items())
    return (
        '<Map srs=%s background-color="#ffffff">'
        '<FontSet name="sans"><Font face-name="Noto Sans Regular"/>'
        '<Font face-name="DejaVu Sans Book"/></FontSet>'
        '<Style name="imagery"><Rule><RasterSymbolizer scaling="bilinear"/></Rule></Style>'
        '<Style name="risk">%s</Style><Style name="labels">%s</Style>'
        '<Layer name="imagery" srs="epsg:32647"><StyleName>imagery</StyleName>'
        '<Datasource>%s</Datasource></Layer>'
        '<Layer name="workplaces" srs="epsg:4326"><StyleName>risk</StyleName>'
        '<StyleName>labels</StyleName><Datasource>%s</Datasource></Layer>'
        '</Map>' % (
            quoteattr(srs), rules, labels,
            params({'type': 'gdal', 'file': basemap}),
            params({'type': 'sqlite', 'file': db, 'table': 'workplaces_risk',
                    'geometry_field': 'geom', 'wkb_format': 'spatialite',
                    'key_field': 'id', 'use_spatial_index': 'false'})))


def main():
    if len(sys.argv) not in (8, 9):
        sys.exit(__doc__)
    db, basemap, out, width, height, extent, srs = sys.argv[1:8]
    count = sys.argv[8:] == ['--count']
    mapnik.register_fonts('/usr/share/fonts/truetype/noto')
    mapnik.register_fonts('/usr/share/fonts/opentype/noto')
    m = mapnik.Map(int(width), int(height))
    mapnik.load_map_from_string(m, map_xml(db, basemap, srs))
    x0, y0, x1, y1 = (float(v) for v in extent.split(','))
    box = mapnik.Box2d(x0, y0, x1, y1)
    m.zoom_to_box(box)
    if count:
        layer = m.layers[1]
        # The page extent in the layer's CRS, as Mapnik queries it.
        tr = mapnik.ProjTransform(mapnik.Projection(srs), mapnik.Projection(layer.srs))
        q = mapnik.Query(tr.forward(box))
        q.add_property_name('risk_class')
        n = 0
        for f in layer.datasource.features(q):
            if f['risk_class'] in ('low', 'medium', 'high'):
                g = tr.backward(f.geometry.envelope())
                if box.intersects(g.minx, g.miny):
                    n += 1
        print(n)
        return
    if out.endswith('.pdf'):
        mapnik.render_to_file(m, out, 'pdf')
    else:
        mapnik.render_to_file(m, out, 'png')


if __name__ == '__main__':
    main()
