-- Layer: administrative areas with the number of workplaces inside them,
-- their mean risk and a risk-weighted density (sum of risk per km2), the
-- measure the atlas choropleth and the zone ranking use.
CREATE VIEW areas_risk AS
SELECT a.id AS rowid, a.id AS id, a.code AS code, a.parent_code AS parent_code,
       a.level AS level, a.name_local AS name_local, a.name_latin AS name_latin,
       a.area_km2 AS area_km2,
       count(w.id) AS workplaces,
       coalesce(sum(w.risk_class = 'high'), 0) AS high_risk,
       round(avg(w.risk), 3) AS mean_risk,
       CASE WHEN a.area_km2 > 0 THEN round(coalesce(sum(w.risk), 0) / a.area_km2, 4) END AS risk_density,
       a.geom AS geom
FROM areas AS a
LEFT JOIN area_members AS m ON m.area_id = a.id
LEFT JOIN workplaces AS w ON w.id = m.workplace_id AND w.status <> 'closed'
GROUP BY a.id;

INSERT INTO views_geometry_columns
  (view_name, view_geometry, view_rowid, f_table_name, f_geometry_column, read_only)
VALUES ('areas_risk', 'geom', 'rowid', 'areas', 'geom', 1);

INSERT INTO sinspace_layers (name, title, geometry_type, style, description)
VALUES ('areas_risk', 'Areas by risk', 'MULTIPOLYGON', 'areas.sld',
        'Administrative areas with workplace counts, mean risk and risk-weighted density');
