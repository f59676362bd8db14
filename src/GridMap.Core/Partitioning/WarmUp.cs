using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>A tiny city to run once before a timed partition, so that JIT compilation is not counted.</summary>
public static class WarmUp
{
    public static readonly PartitionInput Input = Build();

    static PartitionInput Build()
    {
        var f = GeometryRules.Factory;
        var units = new List<PartitionUnit>();
        for (var i = 0; i < 6; i++)
            for (var j = 0; j < 6; j++)
                units.Add(new PartitionUnit($"w{i}-{j}", 40 + (i * 7 + j * 3) % 30, f.CreatePoint(new Coordinate(106.83 + i * 0.001, 27.54 + j * 0.001))));
        var area = f.ToGeometry(new Envelope(106.8295, 106.8365, 27.5395, 27.5465));
        return new PartitionInput(units, [new PartitionArea("520304001001", area)],
            [new PartitionCompound("wc", f.ToGeometry(new Envelope(106.8355, 106.8364, 27.5455, 27.5464)), 500)],
            [f.CreateLineString([new Coordinate(106.8295, 27.5425), new Coordinate(106.8365, 27.5425)])]);
    }
}
