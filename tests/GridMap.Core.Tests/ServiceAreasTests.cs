using GridMap.Core.Network;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Core.Tests;

/// <summary>A local plane near Chengdu: WKT in metres from an origin, turned into lon/lat.</summary>
internal static class Plane
{
    public static readonly MetricProjection Zone = MetricProjection.ForLongitude(105);
    const double X0 = 450_000, Y0 = 3_380_000;

    public static T LonLat<T>(string wkt) where T : Geometry
    {
        var g = new WKTReader().Read(wkt);
        g.Apply(new Shift());
        return Zone.Unproject((T)g);
    }

    public static Point At(double x, double y) => LonLat<Point>($"POINT ({x} {y})");

    sealed class Shift : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;
        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                seq.SetX(i, seq.GetX(i) + X0);
                seq.SetY(i, seq.GetY(i) + Y0);
            }
        }
    }
}

/// <summary>Isochrones and gaps for display: geometry in (metres around a point near Chengdu), polygons out (lon/lat).</summary>
public class ServiceAreasTests
{
    static Point At(double x, double y) => Plane.At(x, y);
    static T LonLat<T>(string wkt) where T : Geometry => Plane.LonLat<T>(wkt);
    static readonly MetricProjection Zone = Plane.Zone;

    static WalkModel Model(Point[] places, Point[] stations, params string[] network) =>
        WalkModel.Build(places, stations, network.Select(LonLat<LineString>).ToList());

    [Fact]
    public void An_isochrone_stops_at_a_river_the_network_does_not_cross()
    {
        // Two banks 100 m apart, joined by a bridge 900 m east of the station.
        var model = Model([At(100, 110)], [At(100, -5)],
            "LINESTRING (0 0, 500 0, 1000 0)", "LINESTRING (0 100, 500 100, 1000 100)", "LINESTRING (1000 0, 1000 100)");

        var iso = ServiceAreas.Isochrones(model, [50], [300, 2200]);

        var near = iso.Single(i => i.Threshold == 0).Polygon;
        Assert.True(near.Covers(At(100, -30)) && near.Covers(At(350, 0)));
        Assert.False(near.Covers(At(100, 110)), "the far bank is 115 m away in a straight line but 1,810 m on foot");
        Assert.Equal(0, iso.Single(i => i.Threshold == 0).Households);

        var far = iso.Single(i => i.Threshold == 1);
        Assert.True(far.Polygon.Covers(At(100, 110)));
        Assert.Equal(50, far.Households);
        Assert.True(far.Polygon.Covers(near), "thresholds nest");
    }

    [Fact]
    public void A_walled_compound_with_no_gate_is_a_hole_in_the_isochrone()
    {
        // A square of streets around a compound whose inner road has no gate to them. The inner road is a two-node
        // island: it takes points only when every piece of the network does (min_component_nodes 1).
        string[] network = ["LINESTRING (0 0, 600 0, 600 600, 0 600, 0 0)", "LINESTRING (200 300, 400 300)"];
        var model = WalkModel.Build([At(300, 300)], [At(0, -5)], network.Select(LonLat<LineString>).ToList(), minComponentNodes: 1);

        var iso = ServiceAreas.Isochrones(model, [80], [3000]).Single();

        var polygon = Assert.IsType<Polygon>(iso.Polygon);
        Assert.True(polygon.NumInteriorRings >= 1);
        Assert.True(polygon.Covers(At(40, 300)) && polygon.Covers(At(300, 560)));
        Assert.False(polygon.Covers(At(300, 310)));
        Assert.Equal(0, iso.Households);

        // By default the island is left out: the compound's land and building walk to the streets around it.
        var streets = ServiceAreas.Isochrones(Model([At(300, 300)], [At(0, -5)], network), [80], [3000]).Single();
        Assert.True(streets.Polygon.Covers(At(300, 310)));
        Assert.Equal(80, streets.Households);
    }

    [Fact]
    public void Gaps_are_the_residential_land_no_station_reaches_with_its_households()
    {
        // A street 2 km long; the station at its west end; one building near it, two side by side at the far end.
        string[] street = ["LINESTRING (0 0, 1000 0, 2000 0)"];
        Geometry[] buildings = [LonLat<Polygon>("POLYGON ((90 10, 130 10, 130 40, 90 40, 90 10))"), At(1903, 23), At(1923, 23)];
        var model = WalkModel.Build(buildings, [At(0, -5)], street.Select(LonLat<LineString>).ToList());

        var gaps = ServiceAreas.Gaps(model, buildings, [120, 60, 70], model.Nearest(), [500]);

        var gap = Assert.Single(gaps);
        Assert.Equal(130, gap.Households);
        Assert.Equal(2, gap.Buildings);
        Assert.True(gap.Polygon.Covers(At(1903, 23)) && gap.Polygon.Covers(At(1923, 23)) && !gap.Polygon.Covers(At(110, 25)), $"{Zone.Project(gap.Polygon)}");
        Assert.InRange(gap.AreaM2, 200, 600); // the two buildings' 10 m cells and the one between them that closing fills
    }

    [Fact]
    public void Without_a_network_isochrones_are_circles()
    {
        var model = WalkModel.Build([At(0, 250), At(0, 350)], [At(0, 0)], null);
        Assert.Equal("euclidean", model.Mode);

        var iso = ServiceAreas.Isochrones(model, [10, 20], [300]).Single();

        Assert.Equal(10, iso.Households);
        Assert.InRange(Zone.Project(iso.Polygon).Area, 0.99 * Math.PI * 300 * 300, Math.PI * 300 * 300);
    }
}
