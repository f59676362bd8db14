using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Network;

/// <summary>Where station <paramref name="Station"/> is reached within threshold <paramref name="Threshold"/> (lon/lat, for display), and the households whose walk from it is within.</summary>
public sealed record Isochrone(int Station, int Threshold, Geometry Polygon, long Households);

/// <summary>Residential land beyond threshold <paramref name="Threshold"/> of every station (lon/lat, for display), with the uncovered buildings and households in it.</summary>
public sealed record CoverageGap(int Threshold, Geometry Polygon, long Households, int Buildings, double AreaM2);

/// <summary>
/// Polygons for display: isochrones and gaps. Both come from a raster of cells classified exactly as buildings are —
/// each cell's centre attaches to its nearest edge and walks from there — so a polygon never bridges a river or a wall
/// the network does not cross, takes in partial edges, and keeps its holes. Coverage numbers never come from these
/// polygons: the households they carry are counted from each building's own walk.
/// </summary>
public static class ServiceAreas
{
    /// <summary>Beyond this many cells the raster coarsens: a city of 10 × 10 km still gets 10 m cells.</summary>
    const int MaxCells = 1_000_000;

    /// <summary>How far around places and stations the raster reaches (m).</summary>
    const double Margin = 100;

    /// <summary>Uncovered land this close (m) joins into one gap.</summary>
    const double GapClosing = 20;

    /// <summary>A gap holding no uncovered building is shown only from this size (m²): residential land without buildings, not slivers.</summary>
    const double MinEmptyGapM2 = 500;

    /// <summary>A building given as a point is drawn as a disc of this radius (m) when it is part of a gap.</summary>
    const double PointBuildingRadius = 15;

    /// <summary>Every station's isochrone at every threshold (metres), thresholds nested.</summary>
    public static IReadOnlyList<Isochrone> Isochrones(WalkModel model, IReadOnlyList<long> households, IReadOnlyList<double> thresholds)
    {
        var result = new Isochrone[model.Stations.Length * thresholds.Count];
        if (thresholds.Count == 0) return [];
        var largest = thresholds.Max();
        var factory = new GeometryFactory();
        if (model.Network is not { } network)
        {
            Parallel.For(0, model.Stations.Length, s =>
            {
                var at = factory.CreatePoint(model.Stations[s]);
                for (var t = 0; t < thresholds.Count; t++)
                {
                    var within = model.Places.Select((p, i) => p.Distance(at.Coordinate) <= thresholds[t] ? households[i] : 0).Sum();
                    result[s * thresholds.Count + t] = new(s, t, Display(model, at.Buffer(thresholds[t], 32)), within);
                }
            });
            return result;
        }

        var raster = WalkRaster.Over(model, largest);
        var places = new AnchoredPoints(network, model.PlaceAnchors!);
        Parallel.For(0, model.Stations.Length,
            () => (Walk: new BoundedWalk(network), Cells: new float[raster.Count]),
            (s, _, local) =>
            {
                var within = new long[thresholds.Count];
                var touched = new List<int>();
                if (model.StationAnchors![s] is { } anchor)
                {
                    local.Walk.Reach(anchor, largest, raster.Anchors!, (cell, m) =>
                    {
                        local.Cells[cell] = (float)m + 1; // 0 means "not reached"
                        touched.Add(cell);
                    });
                    local.Walk.Reach(anchor, largest, places, (p, m) =>
                    {
                        for (var t = 0; t < thresholds.Count; t++)
                            if (m <= thresholds[t]) within[t] += households[p];
                    });
                }
                var box = raster.Box(model.Stations[s], largest + raster.Cell);
                for (var t = 0; t < thresholds.Count; t++)
                {
                    var limit = thresholds[t] + 1;
                    var polygon = raster.Polygon(box, i => local.Cells[i] is > 0 and var m && m <= limit, factory);
                    result[s * thresholds.Count + t] = new(s, t, Display(model, polygon), within[t]);
                }
                foreach (var c in touched) local.Cells[c] = 0;
                return local;
            },
            _ => { });
        return result;
    }

    /// <summary>
    /// Per threshold, the residential land (building footprints, buildings given as points drawn as small discs, and
    /// <paramref name="land"/> such as compounds, lon/lat) that no station reaches within it; one gap per separate piece.
    /// </summary>
    public static IReadOnlyList<CoverageGap> Gaps(WalkModel model, IReadOnlyList<Geometry> placeGeometries, IReadOnlyList<long> households,
        StationReach[] reach, IReadOnlyList<double> thresholds, IEnumerable<Geometry>? land = null)
    {
        var raster = WalkRaster.Over(model, 0);
        var cells = model.Network is { } network && model.Stations.Length > 0
            ? NearestStation.Compute(network, model.StationAnchors!, raster.Anchors!.Anchors)
            : WalkModel.StraightLine(model.Stations, raster.Centres());
        var factory = new GeometryFactory();
        var pieces = placeGeometries
            .Select((g, i) => g is Point ? factory.CreatePoint(model.Places[i]).Buffer(PointBuildingRadius, 8) : model.Projection.Project(g))
            .Concat((land ?? []).Select(model.Projection.Project))
            .Where(g => g.Dimension == Dimension.Surface)
            .ToList();
        var residential = pieces.Count == 0 ? factory.CreatePolygon() : CascadedPolygonUnion.Union(pieces);

        var gaps = new List<CoverageGap>();
        var all = raster.Box(null, 0);
        for (var t = 0; t < thresholds.Count; t++)
        {
            var limit = thresholds[t];
            var uncovered = raster.Polygon(all, i => !(cells[i].Metres <= limit), factory);
            // Closing by a street's width groups the uncovered buildings of a block into one gap, still within the uncovered cells.
            var gap = residential.Intersection(uncovered).Buffer(GapClosing, 4).Buffer(-GapClosing, 4).Intersection(uncovered);
            var outside = Enumerable.Range(0, model.Places.Length).Where(i => !(reach[i].Metres <= limit)).ToList();
            for (var k = 0; k < gap.NumGeometries; k++)
            {
                var piece = gap.GetGeometryN(k);
                if (piece is not Polygon || piece.Area < 1) continue;
                var prepared = PreparedGeometryFactory.Prepare(piece);
                var inside = outside.Where(i => prepared.Covers(factory.CreatePoint(model.Places[i]))).ToList();
                // A sliver of a covered building's footprint in an uncovered cell is no gap.
                if (inside.Count == 0 && piece.Area < MinEmptyGapM2) continue;
                gaps.Add(new CoverageGap(t, Display(model, piece), inside.Sum(i => households[i]), inside.Count, Math.Round(piece.Area, 1)));
            }
        }
        return gaps;
    }

    static Geometry Display(WalkModel model, Geometry metric) => GeometryRules.OrientForRfc7946(model.Projection.Unproject(metric));

    /// <summary>Square cells over the places and stations, each centre attached to the network as a building would be.</summary>
    sealed class WalkRaster
    {
        public double X0 { get; private init; }
        public double Y0 { get; private init; }
        public double Cell { get; private init; }
        public int Width { get; private init; }
        public int Height { get; private init; }
        public int Count => Width * Height;
        public AnchoredPoints? Anchors { get; private set; }

        /// <summary>Cells over the places and stations, and <paramref name="aroundStations"/> metres around each station.</summary>
        public static WalkRaster Over(WalkModel model, double aroundStations)
        {
            var extent = new Envelope();
            foreach (var c in model.Places) extent.ExpandToInclude(c);
            foreach (var c in model.Stations)
            {
                var around = new Envelope(c);
                around.ExpandBy(aroundStations);
                extent.ExpandToInclude(around);
            }
            extent.ExpandBy(Margin);
            var cell = Math.Max(10, Math.Sqrt(extent.Area / MaxCells));
            var raster = new WalkRaster
            {
                X0 = extent.MinX,
                Y0 = extent.MinY,
                Cell = cell,
                Width = Math.Max(1, (int)Math.Ceiling(extent.Width / cell)),
                Height = Math.Max(1, (int)Math.Ceiling(extent.Height / cell)),
            };
            if (model.Network is { } network) raster.Anchors = new AnchoredPoints(network, raster.Attach(network));
            return raster;
        }

        /// <summary>Near is this close (m): edges stamp their nearest point on the cells around them, and only the cells no edge is this near to ask the index.</summary>
        const double Near = 100;

        /// <summary>Every cell centre's nearest edge, as <see cref="WalkNetwork.Attach"/> finds it.</summary>
        NetworkAnchor?[] Attach(WalkNetwork network)
        {
            var anchors = new NetworkAnchor?[Count];
            var best = new double[Count];
            Array.Fill(best, Near);
            for (var e = 0; e < network.EdgeCount; e++)
            {
                double ax = network.X[network.From[e]], ay = network.Y[network.From[e]], bx = network.X[network.To[e]], by = network.Y[network.To[e]];
                var c0 = Math.Max(0, (int)Math.Floor((Math.Min(ax, bx) - Near - X0) / Cell));
                var c1 = Math.Min(Width - 1, (int)Math.Floor((Math.Max(ax, bx) + Near - X0) / Cell));
                var r0 = Math.Max(0, (int)Math.Floor((Math.Min(ay, by) - Near - Y0) / Cell));
                var r1 = Math.Min(Height - 1, (int)Math.Floor((Math.Max(ay, by) + Near - Y0) / Cell));
                for (var r = r0; r <= r1; r++)
                for (var c = c0; c <= c1; c++)
                {
                    var i = r * Width + c;
                    var (t, d) = network.Project(e, X0 + (c + 0.5) * Cell, Y0 + (r + 0.5) * Cell);
                    if (d >= best[i]) continue;
                    best[i] = d;
                    anchors[i] = new NetworkAnchor(e, t, d);
                }
            }
            Parallel.For(0, Count, i => anchors[i] ??= network.Attach(Centre(i)));
            return anchors;
        }

        public Coordinate Centre(int i) => new(X0 + (i % Width + 0.5) * Cell, Y0 + (i / Width + 0.5) * Cell);

        public Coordinate[] Centres() => Enumerable.Range(0, Count).Select(Centre).ToArray();

        /// <summary>The cells within <paramref name="radius"/> of <paramref name="centre"/> (all cells when null): first column, first row, columns, rows.</summary>
        public (int C0, int R0, int Cols, int Rows) Box(Coordinate? centre, double radius)
        {
            if (centre is null) return (0, 0, Width, Height);
            var c0 = Math.Clamp((int)Math.Floor((centre.X - radius - X0) / Cell), 0, Width);
            var r0 = Math.Clamp((int)Math.Floor((centre.Y - radius - Y0) / Cell), 0, Height);
            var c1 = Math.Clamp((int)Math.Ceiling((centre.X + radius - X0) / Cell), 0, Width);
            var r1 = Math.Clamp((int)Math.Ceiling((centre.Y + radius - Y0) / Cell), 0, Height);
            return (c0, r0, c1 - c0, r1 - r0);
        }

        public Geometry Polygon((int C0, int R0, int Cols, int Rows) box, Func<int, bool> inside, GeometryFactory factory) =>
            CellRegion.Polygon(box.Cols, box.Rows, X0 + box.C0 * Cell, Y0 + box.R0 * Cell, Cell,
                (c, r) => inside((box.R0 + r) * Width + box.C0 + c), factory);
    }
}
