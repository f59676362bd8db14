using GridMap.Core.Codes;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

public class GridCodeTests
{
    [Theory]
    [InlineData("520304001001", 1, "520304001001001")]
    [InlineData("520304001001", 42, "520304001001042")]
    [InlineData("520304001001", 1234, "5203040010011234")]
    [InlineData("DTSZ01", 7, "DTSZ01-007")]
    [InlineData("5203", 12, "5203-012")]
    public void A_grid_code_is_the_community_code_and_a_sequence(string area, int sequence, string expected)
    {
        Assert.Equal(expected, GridCode.Format(area, sequence));
        Assert.Equal(sequence, GridCode.SequenceOf(area, expected));
    }

    [Fact]
    public void Sequences_never_reuse_a_number()
    {
        Assert.Equal(1, GridCode.NextFree([]));
        Assert.Equal(8, GridCode.NextFree([1, 2, 7]));
    }

    [Fact]
    public void A_code_of_another_area_has_no_sequence_here()
    {
        Assert.Null(GridCode.SequenceOf("520304001001", "520304001002003"));
        Assert.Null(GridCode.SequenceOf("AREA", "OTHER-001"));
    }

    [Fact]
    public void Reading_order_is_north_to_south_by_rows_then_west_to_east()
    {
        var f = new GeometryFactory();
        Polygon Cell(double x, double y) => (Polygon)f.ToGeometry(new Envelope(x, x + 1, y, y + 1));
        // Two rows: the top row (y = 1) slightly uneven, the bottom row (y = 0).
        Geometry[] cells = [Cell(1, 0), Cell(0, 1.1), Cell(0, 0), Cell(1, 0.95), Cell(2, 1)];
        var order = GridCode.ReadingOrder(cells);
        Assert.Equal([1, 3, 4, 2, 0], order);
    }
}
