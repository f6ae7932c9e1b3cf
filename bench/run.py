#!/usr/bin/python3
"""sinspace benchmarks, side by side with the tools a user would otherwise use.

For each N, each task runs with sinspace and with its anchors in the same
run, alternating, REPS times; it prints and writes to bench/RESULTS.md the
median wall time, the peak RSS (from /usr/bin/time), the ratio
anchor/sinspace (above 1: sinspace is faster) and the result counts of
every tool, which must agree.

    bench/run.py [--n 10000,100000,1000000] [--reps 3] [--tasks import,...]

Tasks: import, polygon, radius, export, zones, render.  render draws an A3
landscape 300 dpi map (PNG and PDF) of the workplaces over a large imagery
basemap (bench/data/basemap_utm47.tif, built once with gdal_translate and
gdaladdo) and compares it with Mapnik drawing the same page
(bench/mapnik_render.py, run with Debian's /usr/bin/python3 and
python3-mapnik) and with gdalwarp of the imagery to the page grid, the
floor of any map over that basemap.  The anchors draw the PNG's whole page
grid (read from its .aux.xml), sinspace only its map frame inside the page
(the rest is title, legend, scale bar), so Mapnik's count (the workplaces
on the page) is above sinspace's (those in the frame).

Data comes from build/tools/sinspace-gen (fixed seed) into bench/data/.
PostGIS rows need postgresql-15-postgis-3 (a throwaway cluster is started
on a loopback port for the run, as the postgres user); without it they are
skipped with a note.  Benchmarks are not tests: CI does not run them.
"""
import argparse, datetime, json, os, platform, re, shutil, statistics
import subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('SINSPACE_BUILD', os.path.join(ROOT, 'build'))
SINSPACE = os.path.join(BUILD, 'src', 'cli', 'sinspace')
GEN = os.path.join(BUILD, 'tools', 'sinspace-gen')
DATA = os.path.join(ROOT, 'bench', 'data')
OUT = os.path.join(ROOT, 'bench', 'out')
PGPORT = 54329
PGBIN = '/usr/lib/postgresql/15/bin'


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True,
                          capture_output=True, text=True, **kw)


def timed(cmd, stdin=None):
    """Runs cmd under /usr/bin/time; returns (seconds, peak KiB, stdout)."""
    with tempfile.NamedTemporaryFile('r', suffix='.time') as tf:
        full = ['/usr/bin/time', '-f', '%e %M', '-o', tf.name] + cmd
        t0 = time.monotonic()
        p = subprocess.run(full, capture_output=True, text=True, stdin=stdin)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError('%s failed (%d): %s' % (' '.join(cmd), p.returncode,
                                                       p.stderr[-2000:]))
        fields = tf.read().split()
        rss = int(fields[-1]) if fields else 0
    return wall, rss, p.stdout


def have_command(name):
    return subprocess.run([SINSPACE, 'help', name], capture_output=True).returncode == 0


# ---------------------------------------------------------------- data

def make_data(n):
    d = os.path.join(DATA, str(n))
    csv = os.path.join(d, 'workplaces_%d.csv' % n)
    if not os.path.exists(csv):
        os.makedirs(d, exist_ok=True)
        sh([GEN, 'bench', '--n', str(n), '--out', d])
    latest = os.path.join(d, 'latest_%d.csv' % n)
    if not os.path.exists(latest):
        # One row per workplace (its latest observation), so every tool
        # loads the same rows: the generator writes a workplace's rows
        # one after another.
        with open(csv, encoding='utf-8') as f, open(latest + '.tmp', 'w', encoding='utf-8') as o:
            header = f.readline()
            o.write(header)
            prev_id, prev = None, None
            for line in f:
                wid = line.split(',', 1)[0]
                if prev is not None and wid != prev_id:
                    o.write(prev)
                prev_id, prev = wid, line
            if prev is not None:
                o.write(prev)
        os.rename(latest + '.tmp', latest)
    return d, csv, latest


# ---------------------------------------------------------------- postgis

class PostGIS:
    def __init__(self):
        self.dir = None
        self.ok = os.path.exists(os.path.join(PGBIN, 'initdb')) and \
            os.path.exists('/usr/share/postgresql/15/extension/postgis.control')
        self.note = '' if self.ok else 'PostGIS not installed (postgresql-15-postgis-3): skipped'

    def start(self):
        if not self.ok:
            return
        self.dir = tempfile.mkdtemp(prefix='sinspace-pg-')
        shutil.chown(self.dir, 'postgres', 'postgres')
        run = ['runuser', '-u', 'postgres', '--']
        sh(run + [PGBIN + '/initdb', '-D', self.dir + '/data', '-A', 'trust', '-U', 'postgres'])
        sh(run + [PGBIN + '/pg_ctl', '-D', self.dir + '/data', '-w', '-l', self.dir + '/log',
                  '-o', '-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off '
                        '-c shared_buffers=512MB -c max_wal_size=4GB' % (PGPORT, self.dir),
                  'start'])
        self.psql('CREATE EXTENSION postgis')

    def psql_cmd(self, sql=None, file=None):
        cmd = ['psql', '-X', '-q', '-At', '-h', '127.0.0.1', '-p', str(PGPORT), '-U', 'postgres',
               '-d', 'postgres', '-v', 'ON_ERROR_STOP=1']
        if sql:
            cmd += ['-c', sql]
        if file:
            cmd += ['-f', file]
        return cmd

    def psql(self, sql):
        return sh(self.psql_cmd(sql)).stdout

    def stop(self):
        if self.dir:
            subprocess.run(['runuser', '-u', 'postgres', '--', PGBIN + '/pg_ctl', '-D',
                            self.dir + '/data', '-m', 'immediate', 'stop'],
                           capture_output=True)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


# ---------------------------------------------------------------- tasks

def count_lines(out, header=True):
    lines = [l for l in out.splitlines() if l.strip()]
    return len(lines) - (1 if header and lines else 0)


def geojson_geometry(path):
    with open(path) as f:
        g = json.load(f)
    if g.get('type') == 'FeatureCollection':
        g = g['features'][0]
    if g.get('type') == 'Feature':
        g = g['geometry']
    return json.dumps(g)


class Bench:
    def __init__(self, reps):
        self.reps = reps
        self.rows = []
        self.pg = PostGIS()
        self.notes = []

    def run_task(self, task, n, variants):
        """variants: list of (tool, prepare(), command list, count(stdout)).
        Runs them alternating, reps times."""
        results = {v[0]: {'wall': [], 'rss': [], 'count': None, 'error': None} for v in variants}
        for rep in range(self.reps):
            for tool, prepare, cmd, count in variants:
                r = results[tool]
                if r['error']:
                    continue
                try:
                    if prepare:
                        prepare()
                    wall, rss, out = timed(cmd() if callable(cmd) else cmd)
                    r['wall'].append(wall)
                    r['rss'].append(rss)
                    r['count'] = count(out)
                except Exception as e:  # a tool failing is a result, not a crash
                    r['error'] = str(e).splitlines()[0][:200]
        base = results[variants[0][0]]
        base_med = statistics.median(base['wall']) if base['wall'] else None
        for tool, *_ in variants:
            r = results[tool]
            med = statistics.median(r['wall']) if r['wall'] else None
            row = {'task': task, 'n': n, 'tool': tool, 'median_s': med,
                   'peak_rss_mib': max(r['rss']) / 1024 if r['rss'] else None,
                   'count': r['count'], 'error': r['error'],
                   'ratio': (med / base_med) if (med and base_med and tool != variants[0][0]) else None}
            self.rows.append(row)
            print('%-22s N=%-8d %-34s %8s s %8s MiB  count %-9s %s%s' % (
                task, n, tool, '%.3f' % med if med else '-',
                '%.0f' % row['peak_rss_mib'] if row['peak_rss_mib'] else '-',
                r['count'], 'ratio %.2f' % row['ratio'] if row['ratio'] else '',
                ('  ERROR ' + r['error']) if r['error'] else ''), flush=True)


def task_import(b, n, d, latest, work):
    db = os.path.join(work, 'import-sinspace.sqlite')
    ogr = os.path.join(work, 'import-ogr.sqlite')
    sql_db = os.path.join(work, 'import-sql.sqlite')

    def rm(*paths):
        def f():
            for p in paths:
                for s in ('', '-wal', '-shm'):
                    if os.path.exists(p + s):
                        os.remove(p + s)
        return f

    count_sql = lambda path, table: (lambda out: int(sh(
        ['sqlite3', path, 'SELECT count(*) FROM %s' % table]).stdout))
    script = os.path.join(work, 'import.sql')
    with open(script, 'w') as f:
        f.write(".mode csv\n.import '%s' raw\nSELECT load_extension('mod_spatialite');\n"
                "SELECT InitSpatialMetadata(1);\n"
                "CREATE TABLE w(id INTEGER PRIMARY KEY, ext_id TEXT, name TEXT, sector TEXT, risk REAL);\n"
                "SELECT AddGeometryColumn('w','geom',4326,'POINT','XY');\n"
                "INSERT INTO w(ext_id,name,sector,risk,geom) SELECT id,name,sector,risk,"
                "MakePoint(CAST(lon AS REAL),CAST(lat AS REAL),4326) FROM raw;\n"
                "SELECT CreateSpatialIndex('w','geom');\nDROP TABLE raw;\n" % latest)
    variants = [
        ('sinspace import', rm(db), lambda: ['sh', '-c', '"$0" --quiet init "$1" && "$0" --quiet import "$1" "$2"',
                                              SINSPACE, db, latest], count_sql(db, 'workplaces')),
        ('ogr2ogr -> SpatiaLite', rm(ogr), ['ogr2ogr', '-f', 'SQLite', '-dsco', 'SPATIALITE=YES', ogr, latest,
                                            '-oo', 'X_POSSIBLE_NAMES=lon', '-oo', 'Y_POSSIBLE_NAMES=lat',
                                            '-a_srs', 'EPSG:4326', '-nln', 'w', '-gt', '65536',
                                            '-lco', 'SPATIAL_INDEX=YES'], count_sql(ogr, 'w')),
        ('sqlite3+mod_spatialite SQL', rm(sql_db), ['sh', '-c', 'sqlite3 "$0" < "$1"', sql_db, script],
         count_sql(sql_db, 'w')),
    ]
    if b.pg.ok:
        pgsql = os.path.join(work, 'import-pg.sql')
        with open(pgsql, 'w') as f:
            f.write("DROP TABLE IF EXISTS raw, w;\n"
                    "CREATE UNLOGGED TABLE raw(id text, name text, name_local text, sector text, lon float8,"
                    " lat float8, address text, area text, source text, source_note text, status text,"
                    " first_seen text, observed text, risk text, %s);\n"
                    "\\copy raw FROM '%s' WITH (FORMAT csv, HEADER true)\n"
                    "CREATE TABLE w AS SELECT id AS ext_id, name, sector, NULLIF(risk,'')::float8 AS risk,"
                    " ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM raw;\n"
                    "CREATE INDEX w_geom ON w USING gist(geom);\nANALYZE w;\nDROP TABLE raw;\n"
                    "SELECT count(*) FROM w;\n" % (
                        ', '.join('i%02d text' % i for i in range(1, 29)), latest))
        variants.append(('PostgreSQL COPY + GiST', None, b.pg.psql_cmd(file=pgsql),
                         lambda out: int(out.split()[-1])))
    b.run_task('import CSV + index', n, variants)
    return db, sql_db


def task_polygon(b, n, d, db, sql_db):
    if not have_command('query'):
        print('polygon query: sinspace query not built yet: skipped')
        return
    for poly in ('query_concave', 'query_multipolygon_hole', 'query_district'):
        path = os.path.join(d, poly + '.geojson')
        gj = geojson_geometry(path).replace("'", "''")
        sl = ("SELECT load_extension('mod_spatialite');"
              "SELECT w.ext_id FROM w, (SELECT SetSRID(GeomFromGeoJSON('%s'),4326) AS g) AS q"
              " WHERE w.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name='w'"
              " AND search_frame=q.g) AND ST_Intersects(w.geom, q.g);" % gj)
        variants = [
            ('sinspace query --within (ids)', None,
             [SINSPACE, 'query', db, '--within', path, '--format', 'ids'], lambda out: count_lines(out, header=False)),
            ('SpatiaLite SpatialIndex+ST_Intersects', None, ['sqlite3', sql_db, sl],
             lambda out: count_lines(out, header=False)),
        ]
        if b.pg.ok:
            variants.append(('PostGIS GiST ST_Intersects', None, b.pg.psql_cmd(
                "SELECT ext_id FROM w WHERE ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON('%s'),4326))" % gj),
                lambda out: count_lines(out, header=False)))
        b.run_task('polygon ' + poly.replace('query_', ''), n, variants)


def task_radius(b, n, d, db, sql_db):
    if not have_command('query'):
        print('radius query: sinspace query not built yet: skipped')
        return
    lon, lat = 98.985, 18.788  # Chiang Mai town, inside a generated cluster
    sl = ("SELECT load_extension('mod_spatialite');"
          "SELECT w.ext_id FROM w WHERE w.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE"
          " f_table_name='w' AND search_frame=BuildCircleMbr(%f,%f,0.03,4326))"
          " AND PtDistWithin(w.geom, MakePoint(%f,%f,4326), 2000, 1);" % (lon, lat, lon, lat))
    variants = [
        ('sinspace query --near 2km (ids)', None,
         [SINSPACE, 'query', db, '--near', '%f,%f' % (lon, lat), '--radius', '2km', '--format', 'ids'],
         lambda out: count_lines(out, header=False)),
        ('SpatiaLite PtDistWithin', None, ['sqlite3', sql_db, sl],
         lambda out: count_lines(out, header=False)),
    ]
    if b.pg.ok:
        variants.append(('PostGIS ST_DWithin geography', None, b.pg.psql_cmd(
            "SELECT ext_id FROM w WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%f,%f),4326)::geography, 2000)"
            % (lon, lat)), lambda out: count_lines(out, header=False)))
    b.run_task('radius 2 km', n, variants)


def task_export(b, n, d, db, work):
    if not have_command('export'):
        print('export: sinspace export not built yet: skipped')
        return
    out1 = os.path.join(work, 'export-sinspace.geojson')
    out2 = os.path.join(work, 'export-ogr.geojson')
    out3 = os.path.join(work, 'export-ogr.geojsons')
    cnt = lambda path: (lambda out: int(re.search(r'Feature Count: (\d+)', sh(
        ['ogrinfo', '-ro', '-so', '-al', path]).stdout).group(1)))
    rm = lambda p: (lambda: os.path.exists(p) and os.remove(p))
    variants = [
        ('sinspace export (partner)', rm(out1), [SINSPACE, '--quiet', 'export', db, 'workplaces', '-o', out1,
                                                 '--audience', 'partner'], cnt(out1)),
        ('ogr2ogr GeoJSON RFC7946', rm(out2), ['ogr2ogr', '-f', 'GeoJSON', '-lco', 'RFC7946=YES', out2, db,
                                              'workplaces_risk'], cnt(out2)),
        ('ogr2ogr GeoJSONSeq', rm(out3), ['ogr2ogr', '-f', 'GeoJSONSeq', out3, db, 'workplaces_risk'], cnt(out3)),
    ]
    if b.pg.ok:
        variants.append(('PostGIS COPY ST_AsGeoJSON', None, ['sh', '-c', '"$@" > /dev/null', 'psql'] +
                         b.pg.psql_cmd("COPY (SELECT ST_AsGeoJSON(w.*) FROM w) TO STDOUT")[0:] ,
                         lambda out: n))
    b.run_task('GeoJSON export', n, variants)


def task_zones(b, n, d, db):
    if not have_command('zones'):
        print('zones: sinspace zones not built yet: skipped')
        return
    b.run_task('zones (kernel density)', n, [
        ('sinspace zones', None, [SINSPACE, '--quiet', 'zones', db], lambda out: count_lines(out))])


# The render task's load: a 10,000 x 10,000 px RGB basemap in UTM 47N over a
# 100 km square round Chiang Mai, tiled, DEFLATE, overviews 2..32.  It is the
# Sentinel-2 sample of Khlong Toei (samples/data) resampled and
# re-georeferenced with GDAL: real imagery used only as a load, its pixels
# show Bangkok, not the place they are put at.  BASEMAP_SRCWIN is the largest
# square of the sample with no nodata, so every pixel of the load is valid.
BASEMAP = os.path.join(DATA, 'basemap_utm47.tif')
BASEMAP_SRCWIN = (45, 174, 219, 219)
BASEMAP_ULLR = (448000, 2127000, 548000, 2027000)  # UTM 47N, Chiang Mai ~ 498000 E 2077000 N
# The map's box: 90 x 60 km inside the basemap, so the A3 landscape frame
# (its aspect fitted round the box) lies over the imagery.
RENDER_UTM_BOX = (453000, 2047000, 543000, 2107000)
MAPNIK_PY = '/usr/bin/python3'  # python3-mapnik is built for Debian's python
MAPNIK_SCRIPT = os.path.join(ROOT, 'bench', 'mapnik_render.py')


def make_basemap():
    if os.path.exists(BASEMAP):
        return BASEMAP
    os.makedirs(DATA, exist_ok=True)
    tmp = BASEMAP + '.tmp.tif'
    print('render: building %s (10000 x 10000 px, overviews) ...' % BASEMAP, flush=True)
    sh(['gdal_translate', '-q', '-srcwin'] + [str(v) for v in BASEMAP_SRCWIN] +
       ['-outsize', '10000', '10000', '-r', 'bilinear',
        '-a_srs', 'EPSG:32647', '-a_ullr'] + [str(v) for v in BASEMAP_ULLR] +
       ['-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE',
        os.path.join(ROOT, 'samples', 'data', 'sentinel2_khlong_toei.tif'), tmp])
    sh(['gdaladdo', '-q', '-r', 'average', tmp, '2', '4', '8', '16', '32'])
    os.rename(tmp, BASEMAP)
    return BASEMAP


def utm_box_lonlat(box):
    """The lon/lat box round a UTM 47N box (min/max of its corners)."""
    x0, y0, x1, y1 = box
    pts = '\n'.join('%f %f' % c for c in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)))
    out = subprocess.run(['gdaltransform', '-s_srs', 'EPSG:32647', '-t_srs', 'EPSG:4326'],
                         input=pts, capture_output=True, text=True, check=True).stdout
    ll = [tuple(float(v) for v in l.split()[:2]) for l in out.splitlines() if l.strip()]
    return (min(p[0] for p in ll), min(p[1] for p in ll), max(p[0] for p in ll), max(p[1] for p in ll))


def png_grid(png):
    """(width, height, geotransform) of a sinspace PNG, from its sidecars."""
    info = json.loads(sh(['gdalinfo', '-json', png]).stdout)
    return info['size'][0], info['size'][1], info['geoTransform']


def mapnik_note():
    if not os.access(MAPNIK_PY, os.X_OK):
        return 'no %s' % MAPNIK_PY
    p = subprocess.run([MAPNIK_PY, '-c', 'import mapnik; print(mapnik.mapnik_version())'],
                       capture_output=True, text=True)
    return '' if p.returncode == 0 else 'python3-mapnik not importable by %s' % MAPNIK_PY


def task_render(b, n, db, work):
    if not have_command('map') or not have_command('tiles'):
        print('render: sinspace map/tiles not built yet: skipped')
        return
    basemap = make_basemap()
    sh([SINSPACE, '--quiet', 'tiles', 'add', db, basemap])
    bbox = ','.join('%.6f' % v for v in utm_box_lonlat(RENDER_UTM_BOX))
    png = os.path.join(work, 'render-sinspace.png')
    pdf = os.path.join(work, 'render-sinspace.pdf')

    def sinspace_map(out):
        # stderr joined to stdout: the count is on the "wrote ..." line.
        return ['sh', '-c', 'exec "$0" "$@" 2>&1', SINSPACE, 'map', db, '--bbox', bbox,
                '--margin', '0', '--paper', 'A3', '--landscape', '--dpi', '300', '--overwrite',
                '-o', out]

    def drawn(out):
        m = re.search(r'wrote .*?, (\d+) workplaces', out)
        if not m:
            raise RuntimeError('no "wrote ... workplaces" line: ' + out[-300:])
        return int(m.group(1))

    # One untimed render: the page grid the anchors draw on, and warm caches
    # for every tool alike.
    sh(sinspace_map(png))
    width, height, gt = png_grid(png)
    extent = (gt[0], gt[3] + height * gt[5], gt[0] + width * gt[1], gt[3])
    extent_arg = ','.join('%.6f' % v for v in extent)
    print('render: bbox %s, page %dx%d px, page extent %s (EPSG:32647)' % (
        bbox, width, height, extent_arg), flush=True)

    warped = os.path.join(tempfile.gettempdir(), 'sinspace-bench-warp-%d.tif' % os.getpid())
    mapnik_png = os.path.join(work, 'render-mapnik.png')
    mapnik_pdf = os.path.join(work, 'render-mapnik.pdf')
    mapnik_cmd = lambda out: [MAPNIK_PY, MAPNIK_SCRIPT, db, basemap, out, str(width), str(height),
                              extent_arg, 'epsg:32647']
    mapnik_count = lambda out: int(sh(mapnik_cmd(mapnik_png) + ['--count']).stdout)
    rm = lambda *ps: (lambda: [os.remove(p) for p in ps if os.path.exists(p)])

    def pixels(out):
        info = json.loads(sh(['gdalinfo', '-json', warped]).stdout)
        return info['size'][0] * info['size'][1]

    note = mapnik_note()
    if note:
        print('render: Mapnik rows skipped: %s' % note)
        b.notes.append('render: Mapnik rows skipped (%s)' % note)
    png_variants = [('sinspace map PNG', rm(png), sinspace_map(png), drawn)]
    if not note:
        png_variants.append(('Mapnik (gdal+sqlite) PNG', rm(mapnik_png), mapnik_cmd(mapnik_png),
                             mapnik_count))
    png_variants.append(('gdalwarp to the page grid', rm(warped), [
        'gdalwarp', '-q', '-overwrite', '-r', 'bilinear', '-ovr', 'AUTO', '-t_srs', 'EPSG:32647',
        '-te'] + ['%.6f' % v for v in extent] + ['-ts', str(width), str(height), '-of', 'GTiff',
        basemap, warped], pixels))
    try:
        b.run_task('render A3 300 dpi PNG', n, png_variants)
    finally:
        rm(warped)()
    pdf_variants = [('sinspace map PDF', rm(pdf), sinspace_map(pdf), drawn)]
    if not note:
        pdf_variants.append(('Mapnik (gdal+sqlite) PDF cairo', rm(mapnik_pdf), mapnik_cmd(mapnik_pdf),
                             mapnik_count))
    b.run_task('render A3 300 dpi PDF', n, pdf_variants)


def versions():
    v = {}
    for name, cmd in (('sinspace', [SINSPACE, '--version']), ('GDAL', ['gdalinfo', '--version']),
                      ('SQLite', ['sqlite3', '--version']),
                      ('PostgreSQL', [PGBIN + '/postgres', '--version'])):
        try:
            v[name] = sh(cmd).stdout.strip().splitlines()[0][:60]
        except Exception:
            v[name] = 'not installed'
    try:
        v['SpatiaLite'] = sh(['sqlite3', ':memory:', "SELECT load_extension('mod_spatialite');"
                              "SELECT spatialite_version();"]).stdout.split()[-1]
    except Exception:
        v['SpatiaLite'] = '?'
    return v


def write_results(b, ns, args):
    path = os.path.join(ROOT, 'bench', 'RESULTS.md')
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
    mem = next((l.split()[1] for l in open('/proc/meminfo') if l.startswith('MemTotal')), '0')
    with open(path, 'a' if args.append else 'w') as f:
        if not args.append:
            f.write('# sinspace benchmark results\n\n')
        else:
            f.write('\n## Further run\n\n')
        f.write('Written by `bench/run.py %s` on %s.\n\n' % (' '.join(sys.argv[1:]),
                datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')))
        f.write('Machine: %s, %d cores, %.0f GiB; %s.\n\n' % (cpu, os.cpu_count(), int(mem) / 1048576,
                                                               platform.platform()))
        f.write('Versions: %s.\n\n' % ', '.join('%s %s' % kv for kv in versions().items()))
        f.write('Median of %d runs, tools alternating; peak RSS is the largest of the runs. '
                '**ratio = tool / sinspace wall time** (above 1: sinspace is faster). '
                'Counts must agree.\n\n' % args.reps)
        if b.pg.note:
            f.write('Note: %s.\n\n' % b.pg.note)
        for note in b.notes:
            f.write('Note: %s.\n\n' % note)
        f.write('| task | N | tool | median s | peak RSS MiB | ratio | count |\n|---|---|---|---|---|---|---|\n')
        for r in b.rows:
            f.write('| %s | %d | %s | %s | %s | %s | %s |\n' % (
                r['task'], r['n'], r['tool'], '%.3f' % r['median_s'] if r['median_s'] else 'error',
                '%.0f' % r['peak_rss_mib'] if r['peak_rss_mib'] else '-',
                '%.2f' % r['ratio'] if r['ratio'] else '', r['count'] if not r['error'] else r['error']))
    print('wrote', path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', default='10000,100000,1000000')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--tasks', default='import,polygon,radius,export,zones,render')
    ap.add_argument('--append', action='store_true',
                    help='add a section to bench/RESULTS.md instead of replacing it')
    args = ap.parse_args()
    ns = [int(x) for x in args.n.split(',')]
    tasks = args.tasks.split(',')
    for p in (SINSPACE, GEN):
        if not os.access(p, os.X_OK):
            sys.exit('bench: %s is not built; run meson compile -C build' % p)
    b = Bench(args.reps)
    b.pg.start()
    try:
        for n in ns:
            d, csv, latest = make_data(n)
            work = os.path.join(OUT, str(n))
            os.makedirs(work, exist_ok=True)
            db = os.path.join(work, 'import-sinspace.sqlite')
            sql_db = os.path.join(work, 'import-sql.sqlite')
            if 'import' in tasks or not os.path.exists(db):
                db, sql_db = task_import(b, n, d, latest, work)
            elif b.pg.ok and os.path.exists(os.path.join(work, 'import-pg.sql')):
                # The cluster is new each run: load the table the PostGIS
                # rows query, untimed, as the import task left it.
                sh(b.pg.psql_cmd(file=os.path.join(work, 'import-pg.sql')))
            if 'polygon' in tasks:
                task_polygon(b, n, d, db, sql_db)
            if 'radius' in tasks:
                task_radius(b, n, d, db, sql_db)
            if 'export' in tasks:
                task_export(b, n, d, db, work)
            if 'zones' in tasks:
                task_zones(b, n, d, db)
            if 'render' in tasks:
                task_render(b, n, db, work)
    finally:
        b.pg.stop()
    write_results(b, ns, args)


if __name__ == '__main__':
    main()
