<?xml version="1.0" encoding="UTF-8"?>
<!-- marker.sld: one distinctive magenta square for the render tests, so a
     marker can be found in the page by its colour; sites scored high
     also get a label. -->
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld"
    xmlns:ogc="http://www.opengis.net/ogc">
  <NamedLayer>
    <Name>workplaces_risk</Name>
    <UserStyle>
      <Title>Test sites</Title>
      <FeatureTypeStyle>
        <Rule>
          <Name>site</Name>
          <Title>Test site</Title>
          <PointSymbolizer>
            <Graphic>
              <Mark>
                <WellKnownName>square</WellKnownName>
                <Fill><CssParameter name="fill">#ff00ff</CssParameter></Fill>
              </Mark>
              <Size>12</Size>
            </Graphic>
          </PointSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
