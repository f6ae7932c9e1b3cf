<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" version="1.0.0">
  <!-- A BBOX filter on the workplaces' own position: only those south of
       latitude 13.7105 are drawn (10 of the 40 in the Khlong Toei test
       store, counted from tests/data/render/workplaces_khlong_toei.csv). -->
  <NamedLayer>
    <Name>workplaces</Name>
    <UserStyle>
      <FeatureTypeStyle>
        <Rule>
          <Name>South</Name>
          <ogc:Filter>
            <ogc:BBOX>
              <ogc:PropertyName>geom</ogc:PropertyName>
              <gml:Box srsName="EPSG:4326">
                <gml:coordinates>100.5,13.6 100.7,13.7105</gml:coordinates>
              </gml:Box>
            </ogc:BBOX>
          </ogc:Filter>
          <PointSymbolizer>
            <Graphic>
              <Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">#d7191c</CssParameter></Fill></Mark>
              <Size>8</Size>
            </Graphic>
          </PointSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
