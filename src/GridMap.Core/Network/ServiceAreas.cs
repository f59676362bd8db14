using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

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
        var places = new AnchoredPoints(network, model.PlaceDoors!);
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
                    // A place's walk from the station: the best of its doors.
                    var walks = new Dictionary<int, double>();
                    local.Walk.Reach(anchor, largest, places, (door, m) =>
                    {
                        var p = model.DoorPlace![door];
                        walks[p] = walks.TryGetValue(p, out var had) ? Math.Min(had, m) : m;
                    });
                    foreach (var (p, m) in walks)
                        for (var t = 0; t < thresholds.Count; t++)
                            if (m <= thresholds[t]) within[t] += households[p];
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
    /// Per threshold, the residential land (building footprints, buildings given as points, and <paramref name="land"/>
    /// such as compounds, lon/lat) that no station reaches within it, in cells: the residential cells beyond the
    /// threshold, closed by a street's width so that a block's uncovered buildings form one gap, and never reaching into
    /// covered cells. One gap per connected piece, with the uncovered buildings (by their own walk) whose cell is in it.
    /// </summary>
    public static IReadOnlyList<CoverageGap> Gaps(WalkModel model, IReadOnlyList<Geometry> placeGeometries, IReadOnlyList<long> households,
        StationReach[] reach, IReadOnlyList<double> thresholds, IEnumerable<Geometry>? land = null)
    {
        var raster = WalkRaster.Over(model, 0);
        var cells = model.Network is { } network && model.Stations.Length > 0
            ? NearestStation.Compute(network, model.StationAnchors!, raster.Anchors!.Anchors)
            : WalkModel.StraightLine(model.Stations, raster.Centres());
        var residential = new bool[raster.Count];
        for (var i = 0; i < placeGeometries.Count; i++)
            if (placeGeometries[i] is Point) raster.Mark(residential, model.Places[i]);
            else raster.Mark(residential, model.Projection.Project(placeGeometries[i]), model.Places[i]);
        foreach (var piece in land ?? []) raster.Mark(residential, model.Projection.Project(piece), null);
        var placeCell = model.Places.Select(raster.IndexOf).ToArray();

        var factory = new GeometryFactory();
        var gaps = new List<CoverageGap>();
        var closing = Math.Max(1, (int)Math.Round(GapClosing / raster.Cell));
        for (var t = 0; t < thresholds.Count; t++)
        {
            var limit = thresholds[t];
            // Beyond the threshold: cells whose centre is, and the cell of every building that is (the two differ by
            // less than a cell), so that every uncovered building lies in a gap.
            var uncovered = cells.Select(c => !(c.Metres <= limit)).ToArray();
            for (var p = 0; p < placeCell.Length; p++)
                if (!(reach[p].Metres <= limit) && placeCell[p] >= 0) uncovered[placeCell[p]] = true;
            var gap = raster.Close(residential.Select((r, i) => r && uncovered[i]).ToArray(), closing);
            for (var i = 0; i < gap.Length; i++) gap[i] &= uncovered[i];
            var (label, boxes) = raster.Components(gap);
            var holds = new long[boxes.Count];
            var buildings = new int[boxes.Count];
            for (var p = 0; p < placeCell.Length; p++)
                if (!(reach[p].Metres <= limit) && placeCell[p] >= 0 && label[placeCell[p]] > 0)
                {
                    holds[label[placeCell[p]] - 1] += households[p];
                    buildings[label[placeCell[p]] - 1]++;
                }
            for (var k = 0; k < boxes.Count; k++)
            {
                var id = k + 1;
                var area = boxes[k].Cells * raster.Cell * raster.Cell;
                if (buildings[k] == 0 && area < MinEmptyGapM2) continue;
                var polygon = raster.Polygon(boxes[k].Box, i => label[i] == id, factory);
                gaps.Add(new CoverageGap(t, Display(model, polygon), holds[k], buildings[k], Math.Round(polygon.Area, 1)));
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
            if (model.Network is { } network) raster.Anchors = new AnchoredPoints(network, raster.Attach(network, model.Walled));
            return raster;
        }

        /// <summary>Near is this close (m): edges stamp their nearest point on the cells around them, and only the cells no edge is this near to ask the index.</summary>
        const double Near = 100;

        /// <summary>Every cell centre's nearest edge, as <see cref="WalkNetwork.Attach"/> finds it — or, inside a walled compound, its nearest gate.</summary>
        NetworkAnchor?[] Attach(WalkNetwork network, IReadOnlyList<(Geometry Outline, Coordinate[] Gates)> walled)
        {
            var anchors = new NetworkAnchor?[Count];
            var best = new double[Count];
            Array.Fill(best, Near);
            for (var e = 0; e < network.EdgeCount; e++)
            {
                if (!network.Attachable(e)) continue; // an island takes no land, as it takes no building
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
            // Land inside a walled compound is left through its nearest gate, never across the wall.
            foreach (var (outline, gates) in walled)
            {
                var doors = gates.Select(g => (At: g, Anchor: network.Attach(g))).Where(d => d.Anchor is not null).ToList();
                foreach (var i in CellsIn(outline))
                    anchors[i] = doors.Count == 0 ? null : doors
                        .Select(d => d.Anchor!.Value with { Access = d.Anchor!.Value.Access + Centre(i).Distance(d.At) })
                        .MinBy(a => a.Access);
            }
            return anchors;
        }

        /// <summary>The cell holding <paramref name="c"/>, or -1 outside the raster.</summary>
        public int IndexOf(Coordinate c)
        {
            var col = (int)Math.Floor((c.X - X0) / Cell);
            var row = (int)Math.Floor((c.Y - Y0) / Cell);
            return col < 0 || row < 0 || col >= Width || row >= Height ? -1 : row * Width + col;
        }

        /// <summary>Marks the cell of a point.</summary>
        public void Mark(bool[] cells, Coordinate c)
        {
            if (IndexOf(c) is >= 0 and var i) cells[i] = true;
        }

        /// <summary>Marks the cells whose centre lies in <paramref name="polygon"/>, and the cell of <paramref name="inside"/> so that a building smaller than a cell still counts.</summary>
        public void Mark(bool[] cells, Geometry polygon, Coordinate? inside)
        {
            if (inside is not null) Mark(cells, inside);
            foreach (var i in CellsIn(polygon)) cells[i] = true;
        }

        /// <summary>The cells whose centre lies in <paramref name="polygon"/> (none for a point or a line).</summary>
        IEnumerable<int> CellsIn(Geometry polygon)
        {
            if (polygon.Dimension != Dimension.Surface) yield break;
            var locator = new NetTopologySuite.Algorithm.Locate.IndexedPointInAreaLocator(polygon);
            var e = polygon.EnvelopeInternal;
            var (c0, r0, cols, rows) = Box(e.Centre, Math.Max(e.Width, e.Height) / 2 + Cell);
            for (var r = r0; r < r0 + rows; r++)
            for (var c = c0; c < c0 + cols; c++)
                if (locator.Locate(Centre(r * Width + c)) != Location.Exterior) yield return r * Width + c;
        }

        /// <summary>Morphological closing (dilate, then erode) by <paramref name="radius"/> cells, square neighbourhood.</summary>
        public bool[] Close(bool[] cells, int radius) => Spread(Spread(cells, radius, true), radius, false);

        /// <summary>Dilation (a cell becomes set when any cell within the radius is) or erosion (stays set only when all are), separably by rows then columns.</summary>
        bool[] Spread(bool[] cells, int radius, bool dilate)
        {
            var rows = new bool[Count];
            for (var r = 0; r < Height; r++)
            {
                var count = 0; // set cells in the window [c - radius, c + radius] of this row
                for (var c = 0; c < Math.Min(radius, Width); c++) if (cells[r * Width + c] == dilate) count++;
                for (var c = 0; c < Width; c++)
                {
                    if (c + radius < Width && cells[r * Width + c + radius] == dilate) count++;
                    if (c - radius - 1 >= 0 && cells[r * Width + c - radius - 1] == dilate) count--;
                    rows[r * Width + c] = dilate ? count > 0 : count == 0;
                }
            }
            var result = new bool[Count];
            for (var c = 0; c < Width; c++)
            {
                var count = 0;
                for (var r = 0; r < Math.Min(radius, Height); r++) if (rows[r * Width + c] == dilate) count++;
                for (var r = 0; r < Height; r++)
                {
                    if (r + radius < Height && rows[(r + radius) * Width + c] == dilate) count++;
                    if (r - radius - 1 >= 0 && rows[(r - radius - 1) * Width + c] == dilate) count--;
                    result[r * Width + c] = dilate ? count > 0 : count == 0;
                }
            }
            return result;
        }

        /// <summary>Connected pieces (4-neighbours) of the set cells: a label per cell (0 = none, k = piece k) and each piece's box and size.</summary>
        public (int[] Label, List<((int C0, int R0, int Cols, int Rows) Box, int Cells)> Pieces) Components(bool[] cells)
        {
            var label = new int[Count];
            var pieces = new List<((int, int, int, int), int)>();
            var stack = new Stack<int>();
            for (var start = 0; start < Count; start++)
            {
                if (!cells[start] || label[start] != 0) continue;
                var id = pieces.Count + 1;
                int minC = int.MaxValue, minR = int.MaxValue, maxC = -1, maxR = -1, size = 0;
                label[start] = id;
                stack.Push(start);
                while (stack.TryPop(out var i))
                {
                    size++;
                    int c = i % Width, r = i / Width;
                    (minC, maxC, minR, maxR) = (Math.Min(minC, c), Math.Max(maxC, c), Math.Min(minR, r), Math.Max(maxR, r));
                    void Visit(int j)
                    {
                        if (!cells[j] || label[j] != 0) return;
                        label[j] = id;
                        stack.Push(j);
                    }
                    if (c > 0) Visit(i - 1);
                    if (c + 1 < Width) Visit(i + 1);
                    if (r > 0) Visit(i - Width);
                    if (r + 1 < Height) Visit(i + Width);
                }
                pieces.Add(((minC, minR, maxC - minC + 1, maxR - minR + 1), size));
            }
            return (label, pieces);
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
