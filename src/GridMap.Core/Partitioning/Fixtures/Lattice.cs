using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// A synthetic benchmark city: a <c>side</c> × <c>side</c> lattice of 100 m squares (Polygon units) around 106.83 E,
/// 27.54 N, households uniform in 20..80 from <see cref="Random"/>(seed), one area (code <c>LATTICE</c>) that is exactly
/// the lattice's outer square. Squares share exact corner coordinates, so the territories are the squares and the
/// adjacency is the rook adjacency (edge neighbours only). Pure: same side and seed, same input.
/// </summary>
public static class Lattice
{
    public const double CellMetres = 100;
    public const string AreaCode = "LATTICE";
    public const double Longitude = 106.83;
    public const double Latitude = 27.54;

    /// <summary>Unit ids are <c>r{row}c{column}</c>, row 0 in the south, column 0 in the west; units are listed row by row.</summary>
    public static PartitionInput Generate(int side, int seed = 42)
    {
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), "side must be at least 1");
        var random = new Random(seed);
        var projection = MetricProjection.ForLongitude(Longitude);
        var origin = projection.Project(new Coordinate(Longitude, Latitude));
        var factory = new GeometryFactory(new PrecisionModel(), 4326);

        // Corners are unprojected once each, so neighbouring squares share bit-identical vertices.
        var corner = new Coordinate[side + 1, side + 1];
        for (var r = 0; r <= side; r++)
            for (var c = 0; c <= side; c++)
                corner[r, c] = projection.Unproject(new Coordinate(origin.X + c * CellMetres, origin.Y + r * CellMetres));

        var units = new List<PartitionUnit>(side * side);
        for (var r = 0; r < side; r++)
            for (var c = 0; c < side; c++)
            {
                var ring = new[]
                {
                    corner[r, c].Copy(), corner[r, c + 1].Copy(), corner[r + 1, c + 1].Copy(), corner[r + 1, c].Copy(), corner[r, c].Copy(),
                };
                units.Add(new PartitionUnit($"r{r}c{c}", random.Next(20, 81), factory.CreatePolygon(ring)));
            }

        // The outer square through every boundary corner, so that it is exactly the union of the squares.
        var outline = new List<Coordinate>(4 * side + 1);
        for (var c = 0; c < side; c++) outline.Add(corner[0, c].Copy());
        for (var r = 0; r < side; r++) outline.Add(corner[r, side].Copy());
        for (var c = side; c > 0; c--) outline.Add(corner[side, c].Copy());
        for (var r = side; r > 0; r--) outline.Add(corner[r, 0].Copy());
        outline.Add(corner[0, 0].Copy());
        var area = factory.CreatePolygon(outline.ToArray());
        return new PartitionInput(units, [new PartitionArea(AreaCode, area)]);
    }
}
