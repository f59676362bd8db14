using GridMap.IO.Partitioning;

namespace GridMap.IO.Tests;

/// <summary>
/// ../shared/geodata/singapore-hdb read as `gridmap partition --units blocks.geojson --areas subzones.geojson` reads it:
/// every subzone is taken — four of them are invalid boundaries of 818–2,102 vertices with a few crossings each, which
/// the repair cap once refused (the command then wrote nothing).
/// </summary>
public class SingaporeFilesTests
{
    [Fact]
    public void Every_subzone_and_block_is_read_and_the_invalid_subzones_are_repaired()
    {
        var problems = new List<GridMap.Core.Schema.FeatureProblem>();
        var areasFile = Geodata.Find("singapore-hdb/subzones.geojson");
        var areas = PartitionFiles.ReadAreas(Path.GetFileName(areasFile), File.ReadAllBytes(areasFile), problems);
        var unitsFile = Geodata.Find("singapore-hdb/blocks.geojson");
        var units = PartitionFiles.ReadUnits(Path.GetFileName(unitsFile), File.ReadAllBytes(unitsFile), problems);
        Assert.Empty(problems);
        Assert.Equal(332, areas.Count);
        Assert.Equal(10_120, units.Count);

        // Read through the store's geometry rules: every subzone comes out valid, the invalid ones repaired.
        Assert.All(areas, a => Assert.True(a.Polygon.IsValid, a.Code));
    }
}
