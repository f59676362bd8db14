using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>
/// The fine lattice every sample shape is cut from: cells of about 70 m whose corner nodes are shared,
/// so any set of cells unions into polygons that tile exactly (communities, grids, streets).
/// Every 4–6 cells a lattice line is a block boundary, and roads run along those lines.
/// The lattice is gently warped and rotated so the street grid looks surveyed, not drawn.
/// </summary>
internal sealed class StreetGridLayout
{
    public const double CentreLon = 106.83;
    public const double CentreLat = 27.54;

    readonly Coordinate[] _xy;
    readonly Coordinate[] _lonLat;
    readonly MetricProjection _projection;
    readonly Coordinate _origin;

    public int BlocksX { get; }
    public int BlocksY { get; }
    /// <summary>Fine column index of each vertical block boundary (BlocksX + 1 entries, west to east).</summary>
    public int[] ColumnLines { get; }
    /// <summary>Fine row index of each horizontal block boundary (BlocksY + 1 entries, south to north).</summary>
    public int[] RowLines { get; }
    /// <summary>Cells west–east.</summary>
    public int NX { get; }
    /// <summary>Cells south–north.</summary>
    public int NY { get; }

    StreetGridLayout(int blocksX, int blocksY, int[] columns, int[] rows, Coordinate[] xy, MetricProjection projection, Coordinate origin)
    {
        BlocksX = blocksX;
        BlocksY = blocksY;
        ColumnLines = columns;
        RowLines = rows;
        NX = columns[^1];
        NY = rows[^1];
        _xy = xy;
        _projection = projection;
        _origin = origin;
        _lonLat = xy.Select(ToLonLat).ToArray();
    }

    public static StreetGridLayout Create(Random random, int blocksX, int blocksY)
    {
        int[] BoundaryLines(int blocks)
        {
            var lines = new int[blocks + 1];
            for (var b = 0; b < blocks; b++) lines[b + 1] = lines[b] + random.Next(4, 7);
            return lines;
        }
        double[] Positions(int cells)
        {
            var p = new double[cells + 1];
            for (var k = 0; k < cells; k++) p[k + 1] = p[k] + 64 + 12 * random.NextDouble();
            var mid = p[cells] / 2;
            return p.Select(v => v - mid).ToArray();
        }

        var columns = BoundaryLines(blocksX);
        var rows = BoundaryLines(blocksY);
        var xs = Positions(columns[^1]);
        var ys = Positions(rows[^1]);

        // A slight rotation and a long-wavelength warp: roads bend by a few metres over a kilometre.
        var angle = (random.NextDouble() * 2 - 1) * 8 * Math.PI / 180;
        var phases = Enumerable.Range(0, 4).Select(_ => random.NextDouble() * 2 * Math.PI).ToArray();
        var waves = Enumerable.Range(0, 4).Select(_ => 1200 + 900 * random.NextDouble()).ToArray();
        var (sin, cos) = Math.SinCos(angle);

        var xy = new Coordinate[xs.Length * ys.Length];
        for (var j = 0; j < ys.Length; j++)
        for (var i = 0; i < xs.Length; i++)
        {
            double x = xs[i], y = ys[j];
            var dx = 12 * Math.Sin(2 * Math.PI * y / waves[0] + phases[0]) + 6 * Math.Sin(2 * Math.PI * x / waves[1] + phases[1]);
            var dy = 12 * Math.Sin(2 * Math.PI * x / waves[2] + phases[2]) + 6 * Math.Sin(2 * Math.PI * y / waves[3] + phases[3]);
            x += dx;
            y += dy;
            xy[j * xs.Length + i] = new Coordinate(x * cos - y * sin, x * sin + y * cos);
        }

        var projection = MetricProjection.ForLongitude(CentreLon);
        var origin = projection.Project(new Coordinate(CentreLon, CentreLat));
        return new StreetGridLayout(blocksX, blocksY, columns, rows, xy, projection, origin);
    }

    public int NodeIndex(int i, int j) => j * (NX + 1) + i;
    public int CellIndex(int i, int j) => j * NX + i;
    public (int I, int J) CellOf(int cell) => (cell % NX, cell / NX);

    public Coordinate NodeXY(int i, int j) => _xy[NodeIndex(i, j)];
    public Coordinate NodeXY(int node) => _xy[node];
    public Coordinate NodeLonLat(int node) => _lonLat[node];

    /// <summary>Local metres to lon/lat rounded to 7 decimals (≈ 1 cm), the store's precision.</summary>
    public Coordinate ToLonLat(Coordinate xy)
    {
        var ll = _projection.Unproject(new Coordinate(_origin.X + xy.X, _origin.Y + xy.Y));
        return new Coordinate(Math.Round(ll.X, 7), Math.Round(ll.Y, 7));
    }

    /// <summary>The cell's corners in metres, counter-clockwise from its south-west corner.</summary>
    public Coordinate[] CellQuad(int i, int j) => [NodeXY(i, j), NodeXY(i + 1, j), NodeXY(i + 1, j + 1), NodeXY(i, j + 1)];

    public Coordinate CellCentre(int cell)
    {
        var (i, j) = CellOf(cell);
        var q = CellQuad(i, j);
        return new Coordinate(q.Average(c => c.X), q.Average(c => c.Y));
    }

    public Polygon CellPolygonLonLat(int cell)
    {
        var (i, j) = CellOf(cell);
        return GeometryRules.Factory.CreatePolygon(
        [
            _lonLat[NodeIndex(i, j)], _lonLat[NodeIndex(i + 1, j)], _lonLat[NodeIndex(i + 1, j + 1)],
            _lonLat[NodeIndex(i, j + 1)], _lonLat[NodeIndex(i, j)],
        ]);
    }

    /// <summary>
    /// The boundary nodes of the cell rectangle [i0, i1) × [j0, j1), counter-clockwise, closed. Every lattice node
    /// on the boundary is kept, so neighbouring rectangles and grids built from cells share exactly the same vertices.
    /// </summary>
    public int[] RectRing(int i0, int j0, int i1, int j1)
    {
        var ring = new List<int>();
        for (var i = i0; i < i1; i++) ring.Add(NodeIndex(i, j0));
        for (var j = j0; j < j1; j++) ring.Add(NodeIndex(i1, j));
        for (var i = i1; i > i0; i--) ring.Add(NodeIndex(i, j1));
        for (var j = j1; j > j0; j--) ring.Add(NodeIndex(i0, j));
        ring.Add(ring[0]);
        return [.. ring];
    }

    public Polygon RectPolygonXY(int i0, int j0, int i1, int j1) =>
        new GeometryFactory().CreatePolygon(RectRing(i0, j0, i1, j1).Select(n => _xy[n].Copy()).ToArray());

    public Polygon RectPolygonLonLat(int i0, int j0, int i1, int j1) =>
        GeometryRules.Factory.CreatePolygon(RectRing(i0, j0, i1, j1).Select(n => _lonLat[n].Copy()).ToArray());

    /// <summary>A metric polygon in lon/lat, rounded, counter-clockwise shell.</summary>
    public Geometry ToLonLat(Geometry metric)
    {
        var f = GeometryRules.Factory;
        LinearRing Ring(LineString ring)
        {
            var coords = new List<Coordinate>();
            foreach (var c in ring.Coordinates)
            {
                var ll = ToLonLat(c);
                if (coords.Count == 0 || !coords[^1].Equals2D(ll)) coords.Add(ll);
            }
            if (!coords[^1].Equals2D(coords[0])) coords.Add(coords[0].Copy());
            return f.CreateLinearRing(coords.ToArray());
        }
        Polygon Poly(Polygon p) => f.CreatePolygon(Ring(p.Shell), p.Holes.Select(Ring).ToArray());
        Geometry result = metric switch
        {
            Polygon p => Poly(p),
            MultiPolygon mp => f.CreateMultiPolygon(mp.Geometries.Cast<Polygon>().Select(Poly).ToArray()),
            _ => throw new ArgumentException($"unexpected {metric.GeometryType}"),
        };
        return GeometryRules.OrientForRfc7946(result);
    }
}
