-- Layer: workplaces with their sector labels and current risk, for maps.
-- Personal and source fields (address, source, notes) are left out on
-- purpose: a layer a map can show is a layer anyone holding the map sees.
CREATE VIEW workplaces_risk AS
SELECT w.id AS rowid, w.id AS id, w.ext_id AS ext_id, w.name AS name,
       w.name_local AS name_local, w.sector AS sector,
       s.label_en AS sector_label, s.label_th AS sector_label_th,
       w.status AS status, w.risk AS risk, w.risk_class AS risk_class,
       w.area_code AS area_code, w.first_seen AS first_seen,
       w.last_seen AS last_seen, w.geom AS geom
FROM workplaces AS w JOIN sectors AS s ON s.code = w.sector;

INSERT INTO views_geometry_columns
  (view_name, view_geometry, view_rowid, f_table_name, f_geometry_column, read_only)
VALUES ('workplaces_risk', 'geom', 'rowid', 'workplaces', 'geom', 1);

INSERT INTO sinspace_layers (name, title, geometry_type, style, description)
VALUES ('workplaces_risk', 'Workplaces by risk', 'POINT', 'risk.sld',
        'Workplaces with sector label, current risk score and class');
