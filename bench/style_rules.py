#!/usr/bin/python3
"""Map time against the number of SLD rules (issue 18).

Writes N-rule styles (one PointSymbolizer each, no filter: every rule
applies to every workplace, the worst case), then times `sinspace style
check` and `sinspace map` (A4, 100 dpi PNG, no imagery) over the Khlong
Toei sample store, median of --reps runs, and prints a Markdown table
for bench/RESULTS.md.

    /usr/bin/python3 bench/style_rules.py build/src/cli/sinspace \\
        [--n 500,2000,8000,50000] [--reps 3]

Mapnik is not compared: bench/mapnik_render.py draws a fixed three-rule
style, and python3-mapnik is not installed on the benchmark machine.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc">\n'
        '<NamedLayer><Name>many</Name><UserStyle><FeatureTypeStyle>\n')
RULE = ('<Rule><Name>r%d</Name><PointSymbolizer><Graphic><Mark><WellKnownName>circle'
        '</WellKnownName><Fill><CssParameter name="fill">#%06x</CssParameter></Fill>'
        '</Mark><Size>6</Size></Graphic></PointSymbolizer></Rule>\n')
TAIL = '</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n'


def timed(cmd):
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bin')
    ap.add_argument('--n', default='500,2000,8000,50000')
    ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'kt.db')
        subprocess.run(['sh', os.path.join(here, '..', 'tests', 'data', 'render',
                                           'make-khlong-toei-db.sh'), a.bin, db],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print('| rules | style check s | map s (A4 100 dpi PNG, 40 workplaces) | map s per 1000 rules |')
        print('|---|---|---|---|')
        for n in [int(x) for x in a.n.split(',')]:
            sld = os.path.join(tmp, 'r%d.sld' % n)
            with open(sld, 'w') as f:
                f.write(HEAD)
                for i in range(n):
                    f.write(RULE % (i, (i * 2654435761) & 0xffffff))
                f.write(TAIL)
            check = statistics.median(timed([a.bin, '-q', 'style', 'check', sld])
                                      for _ in range(a.reps))
            out = os.path.join(tmp, 'm.png')
            draw = statistics.median(timed([a.bin, '-q', 'map', db, '-o', out, '--style', sld,
                                            '--no-basemap', '--overwrite', '--dpi', '100',
                                            '--bbox', '100.54,13.69,100.6,13.74'])
                                     for _ in range(a.reps))
            print('| %d | %.2f | %.2f | %.3f |' % (n, check, draw, draw / n * 1000))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
