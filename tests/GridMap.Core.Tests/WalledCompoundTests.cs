using GridMap.Core.Network;
using NetTopologySuite.Geometries;
using static GridMap.Core.Tests.Plane;

namespace GridMap.Core.Tests;

/// <summary>
/// Compound gates: a building inside a walled compound walks out through a gate, not across the wall to the nearest
/// street. Two streets 300 m apart, joined 500 m to the east; the compound between them has a gate on its north wall.
/// </summary>
public class WalledCompoundTests
{
    static readonly string[] Streets = ["LINESTRING (0 0, 500 0, 1000 0)", "LINESTRING (0 300, 500 300, 1000 300)", "LINESTRING (1000 0, 1000 300)"];
    static readonly WalledCompound Compound = new(LonLat<Polygon>("POLYGON ((400 50, 600 50, 600 250, 400 250, 400 50))"), [At(500, 250)]);
    static readonly Point Building = At(500, 80); // 80 m from the south street, 220 m from the north one

    static WalkModel Model(Point station, bool walled) =>
        WalkModel.Build([Building], [station], Streets.Select(LonLat<LineString>).ToList(), walled ? [Compound] : null);

    [Fact]
    public void A_building_in_a_walled_compound_walks_out_through_its_gate()
    {
        var north = At(500, 305);

        // Without the wall it would step out onto the south street and walk round by the east end: 80 + 500 + 300 + 500 + 5.
        Assert.Equal(1385, Model(north, walled: false).Nearest()[0].Metres, 3);
        // Through the gate: 170 m to the gate, 50 m to the north street, 5 m to the station.
        Assert.Equal(225, Model(north, walled: true).Nearest()[0].Metres, 3);
    }

    [Fact]
    public void The_gate_also_decides_the_long_way_round()
    {
        var south = At(500, -5);

        Assert.Equal(85, Model(south, walled: false).Nearest()[0].Metres, 3);
        // Out through the north gate, then round by the east end: 170 + 50 + 500 + 300 + 500 + 5.
        Assert.Equal(1525, Model(south, walled: true).Nearest()[0].Metres, 3);
    }

    [Fact]
    public void Isochrones_and_siting_respect_the_wall()
    {
        var south = At(500, -5);
        Assert.True(ServiceAreas.Isochrones(Model(south, walled: false), [100], [200])[0].Polygon.Covers(At(500, 80)));
        var walled = ServiceAreas.Isochrones(Model(south, walled: true), [100], [200])[0];
        Assert.False(walled.Polygon.Covers(At(500, 80)), "land behind the wall is reached only through the gate");
        Assert.Equal(0, walled.Households);

        // A new station on the north street by the gate reaches the building; one on the south street does not.
        var model = Model(south, walled: true);
        var candidates = new[] { At(500, 2), At(500, 298) }.Select(p => WalkModel.Metric(model.Projection, p)).ToList();
        var sited = StationSiting.MaximalCovering(model, [100], candidates, 300, 1);
        Assert.Equal(1, Assert.Single(sited.Sites).Candidate);
    }
}
