using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Simplify;

namespace GridMap.Core.Network;

/// <summary>
/// The polygon of the cells of a raster for which a test holds: runs of cells along each row, stacked into rectangles
/// where consecutive rows repeat the same run, then unioned (holes kept) and smoothed by a cell's width without
/// changing its topology (unless that would change its area by more than a tenth). Cells are <c>cell</c> metres square from <c>(x0, y0)</c>, row-major from the south-west.
/// </summary>
public static class CellRegion
{
    public static Geometry Polygon(int width, int height, double x0, double y0, double cell, Func<int, int, bool> inside, GeometryFactory factory)
    {
        var rectangles = new List<Geometry>();
        var open = new Dictionary<(int, int), int>(); // run (first, last column) → row where it began
        var runs = new List<(int, int)>();
        for (var row = 0; row <= height; row++)
        {
            runs.Clear();
            if (row < height)
                for (var col = 0; col < width; col++)
                {
                    if (!inside(col, row)) continue;
                    var first = col;
                    while (col + 1 < width && inside(col + 1, row)) col++;
                    runs.Add((first, col));
                }
            // Runs that do not go on into this row are closed as one rectangle each.
            foreach (var (run, since) in open.Where(o => !runs.Contains(o.Key)).ToList())
            {
                rectangles.Add(Rectangle(run.Item1, since, run.Item2 + 1, row));
                open.Remove(run);
            }
            foreach (var run in runs) open.TryAdd(run, row);
        }
        if (rectangles.Count == 0) return factory.CreatePolygon();
        var union = CascadedPolygonUnion.Union(rectangles);
        // Smoothing by a cell's width turns stairs into diagonals; on a shape a few cells across it would eat the shape.
        var smooth = TopologyPreservingSimplifier.Simplify(union, cell);
        return Math.Abs(smooth.Area - union.Area) <= 0.1 * union.Area ? smooth : union;

        Polygon Rectangle(int c0, int r0, int c1, int r1)
        {
            double ax = x0 + c0 * cell, ay = y0 + r0 * cell, bx = x0 + c1 * cell, by = y0 + r1 * cell;
            return factory.CreatePolygon([new(ax, ay), new(bx, ay), new(bx, by), new(ax, by), new(ax, ay)]);
        }
    }
}
