using GridMap.Core.Model;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// A small city to run once before a timed partition, so that JIT compilation is not counted. It touches every path:
/// several areas, a compound divided geometrically, a road, a high-rise split by stairwells, an oversized building,
/// and households spread like real housing so that the repair searches run too.
/// </summary>
public static class WarmUp
{
    public static readonly PartitionInput Input = Build();

    static PartitionInput Build()
    {
        var f = GeometryRules.Factory;
        var random = new Random(20261123);
        var units = new List<PartitionUnit>();
        var areas = new List<PartitionArea>();
        for (var a = 0; a < 4; a++)
        {
            var x0 = 106.83 + a * 0.01;
            areas.Add(new PartitionArea($"52030400100{a + 1}", f.ToGeometry(new Envelope(x0 - 0.0005, x0 + 0.0085, 27.5395, 27.5485))));
            for (var i = 0; i < 8; i++)
                for (var j = 0; j < 8; j++)
                {
                    var households = random.Next(100) switch { < 11 => random.Next(20, 50), < 50 => random.Next(50, 100), < 85 => random.Next(100, 150), < 95 => random.Next(150, 200), _ => random.Next(200, 320) };
                    units.Add(new PartitionUnit($"w{a}-{i}-{j}", households, f.CreatePoint(new Coordinate(x0 + i * 0.001 + random.NextDouble() * 0.0004, 27.54 + j * 0.001 + random.NextDouble() * 0.0004))));
                }
        }
        units.Add(new PartitionUnit("tower", 480, f.ToGeometry(new Envelope(106.8301, 106.8303, 27.5481, 27.5483)), null, [new BuildingUnit("1", 240), new BuildingUnit("2", 240)]));
        return new PartitionInput(units, areas,
            [new PartitionCompound("wc", f.ToGeometry(new Envelope(106.8501, 106.8579, 27.5461, 27.5484)), 900)],
            [f.CreateLineString([new Coordinate(106.829, 27.5445), new Coordinate(106.87, 27.5445)])]);
    }
}
