<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd" version="1.1.0" xmlns:se="http://www.opengis.net/se" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <!-- Shaped as QGIS 3 exports a data-defined rotation (fictional style):
       the marker turns with the risk score, the label is an expression. -->
  <NamedLayer>
    <se:Name>workplaces_rotated</se:Name>
    <UserStyle>
      <se:Name>workplaces_rotated</se:Name>
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>Scored</se:Name>
          <se:Description>
            <se:Title>Scored</se:Title>
          </se:Description>
          <ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">
            <ogc:Not>
              <ogc:PropertyIsNull>
                <ogc:PropertyName>risk</ogc:PropertyName>
              </ogc:PropertyIsNull>
            </ogc:Not>
          </ogc:Filter>
          <se:PointSymbolizer>
            <se:Graphic>
              <se:Mark>
                <se:WellKnownName>triangle</se:WellKnownName>
                <se:Fill>
                  <se:SvgParameter name="fill">#e31a1c</se:SvgParameter>
                </se:Fill>
                <se:Stroke>
                  <se:SvgParameter name="stroke">#232323</se:SvgParameter>
                  <se:SvgParameter name="stroke-width">0.5</se:SvgParameter>
                </se:Stroke>
              </se:Mark>
              <se:Size>
                <ogc:Add>
                  <ogc:Literal>6</ogc:Literal>
                  <ogc:Mul>
                    <ogc:PropertyName>risk</ogc:PropertyName>
                    <ogc:Literal>2</ogc:Literal>
                  </ogc:Mul>
                </ogc:Add>
              </se:Size>
              <se:Rotation>
                <ogc:Mul>
                  <ogc:PropertyName>risk</ogc:PropertyName>
                  <ogc:Literal>30</ogc:Literal>
                </ogc:Mul>
              </se:Rotation>
            </se:Graphic>
          </se:PointSymbolizer>
          <se:TextSymbolizer>
            <se:Label>
              <ogc:Function name="strConcat">
                <ogc:PropertyName>name</ogc:PropertyName>
                <ogc:Function name="strConcat">
                  <ogc:Literal> - </ogc:Literal>
                  <ogc:Function name="strToUpperCase">
                    <ogc:PropertyName>risk_class</ogc:PropertyName>
                  </ogc:Function>
                </ogc:Function>
              </ogc:Function>
            </se:Label>
            <se:Font>
              <se:SvgParameter name="font-family">DejaVu Sans</se:SvgParameter>
              <se:SvgParameter name="font-size">9</se:SvgParameter>
            </se:Font>
            <se:LabelPlacement>
              <se:PointPlacement>
                <se:Rotation>-45</se:Rotation>
              </se:PointPlacement>
            </se:LabelPlacement>
            <se:Halo>
              <se:Radius>1.5</se:Radius>
              <se:Fill>
                <se:SvgParameter name="fill">#ffffff</se:SvgParameter>
              </se:Fill>
            </se:Halo>
            <se:Fill>
              <se:SvgParameter name="fill">
                <ogc:Function name="Recode">
                  <ogc:PropertyName>risk_class</ogc:PropertyName>
                  <ogc:Literal>high</ogc:Literal><ogc:Literal>#a50f15</ogc:Literal>
                  <ogc:Literal>medium</ogc:Literal><ogc:Literal>#de2d26</ogc:Literal>
                  <ogc:Literal>low</ogc:Literal><ogc:Literal>#525252</ogc:Literal>
                </ogc:Function>
              </se:SvgParameter>
            </se:Fill>
            <se:VendorOption name="maxDisplacement">20</se:VendorOption>
            <se:VendorOption name="spaceAround">2</se:VendorOption>
          </se:TextSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>Brothels and karaoke bars</se:Name>
          <ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">
            <ogc:PropertyIsEqualTo>
              <ogc:Function name="in">
                <ogc:PropertyName>sector</ogc:PropertyName>
                <ogc:Literal>brothel</ogc:Literal>
                <ogc:Literal>karaoke_bar</ogc:Literal>
              </ogc:Function>
              <ogc:Literal>true</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <se:PointSymbolizer>
            <se:Graphic>
              <se:Mark>
                <se:WellKnownName>circle</se:WellKnownName>
                <se:Fill>
                  <se:SvgParameter name="fill">
                    <ogc:Function name="Interpolate">
                      <ogc:PropertyName>risk</ogc:PropertyName>
                      <ogc:Literal>1</ogc:Literal><ogc:Literal>#ffffb2</ogc:Literal>
                      <ogc:Literal>3</ogc:Literal><ogc:Literal>#bd0026</ogc:Literal>
                      <ogc:Literal>color</ogc:Literal>
                    </ogc:Function>
                  </se:SvgParameter>
                </se:Fill>
              </se:Mark>
              <se:Size>
                <ogc:Function name="Categorize">
                  <ogc:PropertyName>risk</ogc:PropertyName>
                  <ogc:Literal>4</ogc:Literal>
                  <ogc:Literal>1.667</ogc:Literal><ogc:Literal>6</ogc:Literal>
                  <ogc:Literal>2.333</ogc:Literal><ogc:Literal>9</ogc:Literal>
                </ogc:Function>
              </se:Size>
            </se:Graphic>
          </se:PointSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
