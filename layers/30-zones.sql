-- Layer: the high-risk zones of `sinspace zones` with their rank by peak
-- density (1 = hottest) among the zones of the same run scope, so a map can
-- label and colour them.  The zones table itself is a layer too.
CREATE VIEW zones_ranked AS
SELECT z.id AS rowid, z.id AS id,
       rank() OVER (PARTITION BY substr(z.params, 1, instr(z.params || ' ', ' '))
                    ORDER BY z.peak_density DESC) AS rank,
       z.computed_at AS computed_at, z.params AS params,
       z.workplaces AS workplaces, z.mean_risk AS mean_risk,
       z.max_risk AS max_risk, z.peak_density AS peak_density,
       z.sectors AS sectors, z.geom AS geom
FROM zones AS z;

INSERT INTO views_geometry_columns
  (view_name, view_geometry, view_rowid, f_table_name, f_geometry_column, read_only)
VALUES ('zones_ranked', 'geom', 'rowid', 'zones', 'geom', 1);

INSERT INTO sinspace_layers (name, title, geometry_type, style, description)
VALUES ('zones_ranked', 'High-risk zones', 'MULTIPOLYGON', NULL,
        'Zones where risk-weighted workplace density passes the threshold, ranked by peak density');
