using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Areas;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using OsmSharp;
using OsmSharp.Streams;

namespace GridMap.IO.Osm;

/// <summary>What an OSM file gave: one batch per layer (compounds, buildings, network, stations) and what was dropped.</summary>
public sealed record OsmImport(IReadOnlyList<LayerBatch> Batches, IReadOnlyList<string> Warnings)
{
    /// <summary>Network lines that <see cref="Walkability.IsWalkable"/> accepts (all highway lines are kept).</summary>
    public int WalkableLines { get; init; }

    public IReadOnlyList<FeatureDraft> Features(Layer layer) =>
        Batches.Where(b => b.Layer == layer).SelectMany(b => b.Features).ToList();

    public IReadOnlyDictionary<Layer, int> Counts =>
        Batches.GroupBy(b => b.Layer).ToDictionary(g => g.Key, g => g.Sum(b => b.Features.Count));

    /// <summary>The elements the file held, importable or not.</summary>
    public OsmElements Elements { get; init; } = new(0, 0, 0);

    /// <summary>
    /// The batches that hold at least one feature: what an import writes. A layer the extract brings nothing for (none
    /// mapped, or every one refused) is left out, so a replace import never empties it (docs/import.md).
    /// </summary>
    public IReadOnlyList<LayerBatch> Importable => Batches.Where(b => b.Features.Count > 0).ToList();

    /// <summary>Layers the importer reads that this extract brought nothing for (kept as stored, also by a replace).</summary>
    public IReadOnlyList<Layer> Empty => OsmImporter.Layers.Where(l => !Batches.Any(b => b.Layer == l && b.Features.Count > 0)).ToList();

    /// <summary>True when the extract holds nothing GridMap can import: an import of it is refused (422 nothing_importable).</summary>
    public bool NothingImportable => Importable.Count == 0;

    /// <summary>What a refusal of an extract with nothing importable says: what the file held and why it gave nothing.</summary>
    public string DescribeNothingImportable() =>
        $"the extract holds nothing GridMap imports ({Elements.Nodes:N0} nodes, {Elements.Ways:N0} ways, {Elements.Relations:N0} relations read; " +
        "no building, residential area, highway, station, or admin boundary could be made of them)" +
        (Warnings.Count > 0 ? $": {string.Join("; ", Warnings.Take(5))}" : "") + "; nothing was written";
}

/// <summary>Counts of the elements an OSM file held.</summary>
public sealed record OsmElements(long Nodes, long Ways, long Relations);

/// <summary>
/// Reads an OpenStreetMap extract (<c>.osm</c> XML or <c>.osm.pbf</c>, WGS84) into GridMap layers:
/// <list type="bullet">
/// <item>compounds — <c>landuse=residential</c> closed ways and multipolygons, and other residential areas
///   (<c>place=neighbourhood</c> or <c>residential=*</c> polygons); <c>name</c>, <c>class</c> guessed from the name
///   (<see cref="OsmCompoundClassifier"/>), <c>osm_id</c>;</item>
/// <item>buildings — <c>building=*</c> closed ways and multipolygons; <c>building</c>, <c>levels</c>, <c>address</c>,
///   <c>name</c>, <c>osm_id</c>;</item>
/// <item>network — every <c>highway=*</c> way that is a line (not <c>area=yes</c>), with its tags as string properties.
///   Lines connect only where they share nodes; crossings are not noded;</item>
/// <item>stations — amenity (and shop) nodes and areas (at an interior point) of a station kind
///   (<see cref="OsmStationKinds"/>); <c>kind</c>, <c>name</c>, <c>opening_hours</c>, <c>osm_id</c>. A node of the same
///   kind and name (or unnamed) inside such an area is the same place mapped twice and is dropped.</item>
/// </list>
/// Ids are <c>n</c>/<c>w</c>/<c>r</c> + the OSM id; <c>osm_id</c> is <c>node/…</c>, <c>way/…</c> or <c>relation/…</c>
/// (the path of the object on openstreetmap.org). Households are then filled by <see cref="HouseholdEstimator.FillMissing"/>.
/// Every feature passes <see cref="FeatureValidator.Validate"/> for its layer; those that do not are dropped with a warning.
/// </summary>
public static class OsmImporter
{
    const int MaxListedWarnings = 50;

    /// <summary>The layers an OSM import writes features to (areas come only from admin boundaries and buildings).</summary>
    public static readonly IReadOnlyList<Layer> Layers =
        [Layer.Districts, Layer.Streets, Layer.Communities, Layer.Compounds, Layer.Buildings, Layer.Network, Layer.Stations, Layer.SpecialAreas];

    public static OsmImport Read(string path, EstimationOptions options, OsmLimits? limits = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, options, limits);
    }

    /// <summary>
    /// Reads OSM XML or PBF from a stream, telling them apart by their first bytes. Within <paramref name="limits"/>
    /// (defaults when null), else <see cref="OsmRefusedException"/> before OsmSharp decodes what passes them; so is XML
    /// with a DTD, and text no store can hold.
    /// </summary>
    public static OsmImport Read(Stream stream, EstimationOptions options, OsmLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        limits ??= new OsmLimits();
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            CopyAtMost(stream, copy, limits.MaxBytes);
            copy.Position = 0;
            stream = copy;
        }
        var start = stream.Position;
        if (stream.Length - start > limits.MaxBytes)
            throw OsmRefusedException.Limit("bytes", limits.MaxBytes, $"the extract is {stream.Length - start:N0} bytes; at most {limits.MaxBytes:N0}", stream.Length - start);
        var isXml = LooksLikeXml(stream);
        stream.Position = start;
        if (isXml && HasDoctype(stream))
            throw new OsmRefusedException("dtd_not_allowed", "the OSM XML declares a DTD (<!DOCTYPE …>): OSM XML has none, and GridMap does not read one", false);
        if (!isXml) OsmPbfGuard.Scan(stream, limits);
        stream.Position = start;
        var bounds = OsmBounds.Read(stream, isXml);
        stream.Position = start;
        using OsmStreamSource source = isXml ? new XmlOsmStreamSource(stream) : new PBFOsmStreamSource(stream);
        return new Reader(options, bounds, limits).Run(source);
    }

    static void CopyAtMost(Stream from, Stream to, long limit)
    {
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = from.Read(buffer)) > 0)
        {
            total += n;
            if (total > limit) throw OsmRefusedException.Limit("bytes", limit, $"the extract is larger than {limit:N0} bytes (the limit)", total);
            to.Write(buffer, 0, n);
        }
    }

    /// <summary>
    /// A DOCTYPE stands in the prolog, before the root element: the head of the file says. (OsmSharp's reader prohibits
    /// DTDs too, but with an exception that reads like any other malformed file.)
    /// </summary>
    static bool HasDoctype(Stream stream)
    {
        var start = stream.Position;
        var buffer = new byte[64 * 1024];
        var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        stream.Position = start;
        var head = System.Text.Encoding.UTF8.GetString(buffer, 0, n);
        var i = 0;
        while ((i = head.IndexOf('<', i)) >= 0)
        {
            var rest = head.AsSpan(i);
            if (rest.StartsWith("<?")) i = Skip(head, i, "?>");
            else if (rest.StartsWith("<!--")) i = Skip(head, i, "-->");
            else return rest.StartsWith("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);
            if (i < 0) return false;
        }
        return false;

        static int Skip(string text, int from, string end) => text.IndexOf(end, from, StringComparison.Ordinal) is var e and >= 0 ? e + end.Length : -1;
    }

    /// <summary>The index of a NUL or of a lone UTF-16 surrogate (no store can hold either: PostgreSQL refuses them), or -1.</summary>
    public static int BadTextIndex(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return i;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                return i;
            }
            if (char.IsLowSurrogate(c)) return i;
        }
        return -1;
    }

    static bool LooksLikeXml(Stream stream)
    {
        Span<byte> head = stackalloc byte[64];
        var n = stream.Read(head);
        foreach (var b in head[..n])
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF) continue; // whitespace, UTF-8 BOM
            return b == (byte)'<';
        }
        return false;
    }

    sealed class Reader(EstimationOptions options, Envelope? bounds, OsmLimits limits)
    {
        readonly Dictionary<long, Coordinate> _nodes = [];
        readonly Dictionary<long, Dictionary<string, string>> _taggedNodes = [];
        readonly Dictionary<long, Way> _ways = [];
        readonly Dictionary<long, Relation> _relations = [];
        long _nodesRead, _waysRead, _relationsRead;
        readonly List<string> _warnings = [];
        readonly Dictionary<string, int> _skipped = [];
        int _listed;

        readonly List<FeatureDraft> _compounds = [];
        readonly List<FeatureDraft> _buildings = [];
        readonly List<FeatureDraft> _network = [];
        readonly List<(FeatureDraft Draft, bool FromArea, Geometry? Area)> _stations = [];

        // Evidence for household estimation: buildings' other tags, points of interest, non-residential land.
        readonly Dictionary<string, IReadOnlyDictionary<string, string>> _buildingTags = new(StringComparer.Ordinal);
        readonly List<PointOfInterest> _pois = [];
        readonly List<Geometry> _nonResidentialLand = [];
        readonly List<FeatureDraft> _specialAreas = [];

        // Lines that bound blocks for provisional areas: rivers, canals and railways (major roads come from the network).
        readonly List<Geometry> _barrierLines = [];

        // Administrative boundaries (districts, streets, communities), closed along the bounds where the extract cut them.
        readonly OsmAdmin _admin = new();
        readonly Envelope _nodeBox = new();

        void Warn(string message)
        {
            if (_listed++ < MaxListedWarnings) _warnings.Add(message);
        }

        void Skip(string reason) => _skipped[reason] = _skipped.GetValueOrDefault(reason) + 1;

        public OsmImport Run(OsmStreamSource source)
        {
            foreach (var geo in source)
            {
                // XML is counted as it is read (a PBF was counted before): the reader keeps every node and way.
                if (_nodesRead + _waysRead + _relationsRead >= limits.MaxElements)
                    throw OsmRefusedException.Limit("elements", limits.MaxElements,
                        $"the extract holds more than {limits.MaxElements:N0} nodes, ways and relations (the limit); cut a smaller extract");
                // An id that comes twice: the last wins, as for any OSM reader that indexes by id.
                switch (geo)
                {
                    case { Id: null }:
                        // OsmSharp leaves an id it cannot read (beyond 64 bits, not a number) null.
                        if (geo is Node) _nodesRead++; else if (geo is Way) _waysRead++; else _relationsRead++;
                        Skip("elements without a readable id (skipped)");
                        break;
                    case Node { Id: { } id, Latitude: { } lat, Longitude: { } lon } node:
                        _nodesRead++;
                        if (!double.IsFinite(lat) || !double.IsFinite(lon) || lat is < -90 or > 90 || lon is < -180 or > 180)
                        {
                            // Not a place: its ways find it missing, as if the extract had cut it.
                            Skip("nodes whose coordinates are not numbers or out of range (skipped)");
                            _nodes.Remove(id);
                            _taggedNodes.Remove(id);
                            break;
                        }
                        if (_nodes.ContainsKey(id)) Skip("elements whose id came twice (the last is kept)");
                        _nodes[id] = new Coordinate(lon, lat);
                        _nodeBox.ExpandToInclude(lon, lat);
                        if (node.Tags is { Count: > 0 }) _taggedNodes[id] = ToDictionary(node.Tags);
                        else _taggedNodes.Remove(id);
                        break;
                    case Node:
                        _nodesRead++;
                        Skip("nodes whose coordinates are not numbers or out of range (skipped)");
                        break;
                    case Way { Id: { } id, Nodes: not null } way:
                        _waysRead++;
                        if (!_ways.TryAdd(id, way))
                        {
                            Skip("elements whose id came twice (the last is kept)");
                            _ways[id] = way;
                        }
                        break;
                    case Way:
                        _waysRead++;
                        break;
                    case Relation { Id: { } id, Members: not null } relation:
                        _relationsRead++;
                        if (!_relations.TryAdd(id, relation))
                        {
                            Skip("elements whose id came twice (the last is kept)");
                            _relations[id] = relation;
                        }
                        break;
                    case Relation:
                        _relationsRead++;
                        break;
                }
            }

            foreach (var (id, tags) in _taggedNodes) ReadNode(id, tags);
            foreach (var way in _ways.Values) ReadWay(way);
            foreach (var relation in _relations.Values) ReadRelation(relation);

            var stations = DropDuplicateStations();
            IReadOnlyList<LayerBatch> batches =
            [
                new(Layer.Compounds, Validate(Layer.Compounds, _compounds)),
                new(Layer.Buildings, Validate(Layer.Buildings, _buildings)),
                new(Layer.Network, Validate(Layer.Network, _network)),
                new(Layer.Stations, Validate(Layer.Stations, stations)),
                new(Layer.SpecialAreas, Validate(Layer.SpecialAreas, SpecialAreas.Disjoint(_specialAreas, _compounds))),
            ];
            var context = new EstimationContext { BuildingTags = _buildingTags, Pois = _pois, NonResidentialLand = _nonResidentialLand };
            batches = new HouseholdEstimator(options).Estimate(batches, context).Batches;
            var (admin, adminIds) = _admin.Any && !_nodeBox.IsNull ? _admin.Build(bounds ?? _nodeBox, Warn) : (AdminAreaSet.Empty, new Dictionary<string, string>());
            batches = [.. OsmAreas.Areas(batches, _barrierLines, admin, adminIds, bounds: bounds ?? _nodeBox), .. batches];
            // The estimates add only numbers and flags; check once more that every feature still passes.
            batches = batches.Select(b => b with { Features = Validate(b.Layer, b.Features, final: true) }).ToList();

            if (_listed > MaxListedWarnings) _warnings.Add($"… and {_listed - MaxListedWarnings} more warnings like these");
            foreach (var (reason, count) in _skipped.OrderBy(s => s.Key, StringComparer.Ordinal))
                _warnings.Add($"{count} × {reason}");

            RefuseBadText(batches);
            var walkable = batches.Where(b => b.Layer == Layer.Network).SelectMany(b => b.Features)
                .Count(f => Walkability.IsWalkable(StringTags(f.Properties)));
            return new OsmImport(batches, _warnings) { WalkableLines = walkable, Elements = new(_nodesRead, _waysRead, _relationsRead) };
        }

        // ---- elements ----

        void ReadNode(long id, Dictionary<string, string> tags)
        {
            if (OsmLand.IsPointOfInterest(tags)) _pois.Add(new PointOfInterest(OsmPolygons.Factory.CreatePoint(_nodes[id]), tags));
            if (OsmStationKinds.KindOf(tags) is { } kind)
                _stations.Add((Station($"n{id}", $"node/{id}", OsmPolygons.Factory.CreatePoint(_nodes[id]), kind, tags), false, null));
        }

        void ReadWay(Way way)
        {
            var tags = way.Tags is { Count: > 0 } ? ToDictionary(way.Tags) : null;
            if (tags is null) return;
            var id = way.Id!.Value;
            var isBuilding = IsBuilding(tags);
            var isCompound = IsCompound(tags);
            var stationKind = OsmStationKinds.KindOf(tags);
            var isHighway = tags.ContainsKey("highway");
            var isLand = OsmLand.IsNonResidentialLand(tags);
            if (OsmLand.IsBarrierLine(tags) && Coordinates(way.Nodes, out _) is { Length: >= 2 } line) _barrierLines.Add(OsmPolygons.Factory.CreateLineString(line));
            // A closed way that is an admin area itself (named: member ways of a relation carry no name).
            if (OsmAdmin.LevelOf(tags) is { } level && OsmTags.Name(tags) is { } adminName && way.Nodes.Length >= 4 && way.Nodes[0] == way.Nodes[^1]
                && Coordinates(way.Nodes, out _) is { } ring && OsmPolygons.FromRing(ring, out _) is { } adminPolygon)
                _admin.AddWay(id, level, adminName, tags, adminPolygon);
            if (!isBuilding && !isCompound && stationKind is null && !isHighway && !isLand) return;

            if (isHighway && tags.GetValueOrDefault("area") != "yes") AddLine(id, tags, way.Nodes);
            if (!isBuilding && !isCompound && stationKind is null && !isLand) return;

            var coords = Coordinates(way.Nodes, out var missing);
            if (coords is null)
            {
                Warn($"way/{id}: {missing} of its {way.Nodes.Length} nodes are not in the file (cut by the extract): area skipped");
                return;
            }
            var closed = way.Nodes.Length >= 4 && way.Nodes[0] == way.Nodes[^1];
            if (!closed)
            {
                if (isBuilding || isCompound) Skip($"{(isBuilding ? "building" : "residential area")} ways that do not close (skipped)");
                if (stationKind is not null) Skip("station ways that are neither a node nor an area (skipped)");
                return;
            }
            var polygon = OsmPolygons.FromRing(coords, out var problem);
            if (polygon is null)
            {
                Warn($"way/{id}: {problem}: skipped");
                return;
            }
            AddArea($"w{id}", $"way/{id}", tags, polygon, isBuilding, isCompound, stationKind);
            if (isLand) AddLand($"w{id}", $"way/{id}", tags, polygon);
        }

        void ReadRelation(Relation relation)
        {
            var tags = relation.Tags is { Count: > 0 } ? ToDictionary(relation.Tags) : null;
            if (tags is not null && tags.GetValueOrDefault("type") is "boundary" or "multipolygon" && OsmAdmin.LevelOf(tags) is { } level)
                ReadBoundary(relation, tags, level);
            if (tags is null || tags.GetValueOrDefault("type") != "multipolygon") return;
            var isBuilding = IsBuilding(tags);
            var isCompound = IsCompound(tags);
            var stationKind = OsmStationKinds.KindOf(tags);
            var isLand = OsmLand.IsNonResidentialLand(tags);
            if (!isBuilding && !isCompound && stationKind is null && !isLand) return;

            var id = relation.Id!.Value;
            var members = new List<(string, Coordinate[])>();
            foreach (var member in relation.Members.Where(m => m.Type == OsmGeoType.Way))
            {
                if (!_ways.TryGetValue(member.Id, out var way) || Coordinates(way.Nodes, out _) is not { } line)
                {
                    Warn($"relation/{id}: member way/{member.Id} is not (completely) in the file: skipped");
                    return;
                }
                members.Add((member.Role ?? "", line));
            }
            var geometry = OsmPolygons.FromMultipolygon(members, out var problem);
            if (geometry is null)
            {
                Warn($"relation/{id}: {problem}: skipped");
                return;
            }
            AddArea($"r{id}", $"relation/{id}", tags, geometry, isBuilding, isCompound, stationKind);
            if (isLand) AddLand($"r{id}", $"relation/{id}", tags, geometry);
        }

        /// <summary>
        /// An admin boundary relation: its member ways present (a way the extract cut keeps the pieces inside), the polygon
        /// when they close into rings, its admin_centre / label nodes.
        /// </summary>
        void ReadBoundary(Relation relation, Dictionary<string, string> tags, int level)
        {
            var id = relation.Id!.Value;
            if (OsmTags.Name(tags) is not { } name)
            {
                Warn($"relation/{id} (admin_level {level}): has no name: skipped");
                return;
            }
            var ways = new List<BoundaryWay>();
            var members = new List<(string, Coordinate[])>();
            var whole = true;
            foreach (var member in relation.Members.Where(m => m.Type == OsmGeoType.Way))
            {
                if (!_ways.TryGetValue(member.Id, out var way)) { whole = false; continue; }
                if (Coordinates(way.Nodes, out _) is { } line)
                {
                    members.Add((member.Role ?? "", line));
                    if (line.Length >= 2) ways.Add(new BoundaryWay(member.Id, OsmPolygons.Factory.CreateLineString(line)));
                    continue;
                }
                whole = false;
                foreach (var piece in Pieces(way.Nodes)) ways.Add(new BoundaryWay(member.Id, OsmPolygons.Factory.CreateLineString(piece)));
            }
            var inside = relation.Members.Where(m => m.Type == OsmGeoType.Node && m.Role is "admin_centre" or "label" && _nodes.ContainsKey(m.Id))
                .Select(m => _nodes[m.Id]).ToList();
            var complete = whole ? OsmPolygons.FromMultipolygon(members, out _) : null;
            _admin.AddRelation(id, level, name, tags, ways, complete, inside);
        }

        /// <summary>The runs of a way's nodes that are in the file (at least 2 distinct points each).</summary>
        List<Coordinate[]> Pieces(long[] nodeIds)
        {
            var pieces = new List<List<Coordinate>>();
            List<Coordinate>? piece = null;
            foreach (var nodeId in nodeIds)
            {
                if (!_nodes.TryGetValue(nodeId, out var c)) { piece = null; continue; }
                if (piece is null) pieces.Add(piece = []);
                if (piece.Count == 0 || !piece[^1].Equals2D(c)) piece.Add(c);
            }
            return pieces.Where(l => l.Count >= 2).Select(l => l.ToArray()).ToList();
        }

        void AddArea(string id, string osmId, Dictionary<string, string> tags, Geometry polygon, bool isBuilding, bool isCompound, string? stationKind)
        {
            if (isBuilding)
            {
                var p = new JsonObject { ["building"] = tags["building"] };
                if (OsmTags.Levels(tags, options.MetresPerLevel) is { } levels) p["levels"] = Number(levels);
                if (OsmTags.Address(tags) is { } address) p["address"] = address;
                if (OsmTags.Name(tags) is { } name) p["name"] = name;
                p["osm_id"] = osmId;
                _buildings.Add(new FeatureDraft(id, polygon, p));
                _buildingTags[id] = tags;
            }
            if (isCompound)
            {
                var name = OsmTags.Name(tags);
                var p = new JsonObject();
                if (name is not null) p["name"] = name;
                p["class"] = OsmCompoundClassifier.ClassOf(name);
                p["osm_id"] = osmId;
                _compounds.Add(new FeatureDraft(id, polygon, p));
            }
            if (stationKind is not null)
            {
                _stations.Add((Station(id, osmId, polygon.InteriorPoint, stationKind, tags), true, polygon));
            }
        }

        /// <summary>Non-residential land: evidence for estimation, and a special area (dedicated grid) when large enough.</summary>
        void AddLand(string id, string osmId, Dictionary<string, string> tags, Geometry polygon)
        {
            _nonResidentialLand.Add(polygon);
            if (OsmLand.SpecialAreaKind(tags, Core.Spatial.MetricProjection.For(polygon).AreaM2(polygon)) is not { } kind) return;
            var p = new JsonObject { ["kind"] = kind };
            if (OsmTags.Name(tags) is { } name) p["name"] = name;
            p["osm_id"] = osmId;
            _specialAreas.Add(new FeatureDraft(id, polygon, p));
        }

        /// <summary>
        /// A highway line. Where the extract cut the way (nodes missing from the file), the pieces that remain become a
        /// MultiLineString rather than being joined across the gap.
        /// </summary>
        void AddLine(long id, Dictionary<string, string> tags, long[] nodeIds)
        {
            var pieces = new List<List<Coordinate>>();
            List<Coordinate>? piece = null;
            var missing = 0;
            foreach (var nodeId in nodeIds)
            {
                if (!_nodes.TryGetValue(nodeId, out var c))
                {
                    missing++;
                    piece = null;
                    continue;
                }
                if (piece is null) pieces.Add(piece = []);
                if (piece.Count == 0 || !piece[^1].Equals2D(c)) piece.Add(c);
            }
            var lines = pieces.Where(l => l.Count >= 2).Select(l => OsmPolygons.Factory.CreateLineString(l.ToArray())).ToArray();
            if (lines.Length == 0)
            {
                Warn($"way/{id}: highway with fewer than 2 distinct points in the file: skipped");
                return;
            }
            if (missing > 0) Skip("highway ways cut by the extract (the pieces inside are kept)");

            var p = new JsonObject();
            foreach (var (key, value) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                if (key == "id" || string.IsNullOrEmpty(value)) continue; // "id" is not a property in GridMap
                p[key] = value;
            }
            Geometry geometry = lines.Length == 1 ? lines[0] : OsmPolygons.Factory.CreateMultiLineString(lines);
            _network.Add(new FeatureDraft($"w{id}", geometry, p));
        }

        static FeatureDraft Station(string id, string osmId, Point location, string kind, Dictionary<string, string> tags)
        {
            var p = new JsonObject { ["kind"] = kind };
            if (OsmTags.Name(tags) is { } name) p["name"] = name;
            if (tags.GetValueOrDefault("opening_hours") is { Length: > 0 } hours) p["opening_hours"] = hours;
            p["osm_id"] = osmId;
            return new FeatureDraft(id, location, p);
        }

        /// <summary>
        /// A school (or hospital, market…) is often mapped both as its grounds and as a node inside them. The node goes
        /// when an area of the same kind covers it and the names agree (or the node has none).
        /// </summary>
        List<FeatureDraft> DropDuplicateStations()
        {
            var areas = new STRtree<(FeatureDraft Draft, IPreparedGeometry Area)>();
            foreach (var (draft, fromArea, area) in _stations)
            {
                if (fromArea && area is not null) areas.Insert(area.EnvelopeInternal, (draft, PreparedGeometryFactory.Prepare(area)));
            }
            areas.Build();
            var kept = new List<FeatureDraft>(_stations.Count);
            foreach (var (draft, fromArea, _) in _stations)
            {
                if (!fromArea)
                {
                    var kind = draft.Text("kind");
                    var name = draft.Text("name");
                    var same = areas.Query(draft.Geometry.EnvelopeInternal).FirstOrDefault(a =>
                        a.Draft.Text("kind") == kind
                        && (name is null || a.Draft.Text("name") == name)
                        && a.Area.Covers(draft.Geometry));
                    if (same.Draft is not null)
                    {
                        Skip("station nodes inside an area of the same kind and name (the same place mapped twice; the area is kept)");
                        continue;
                    }
                }
                kept.Add(draft);
            }
            return kept;
        }

        List<FeatureDraft> Validate(Layer layer, IReadOnlyList<FeatureDraft> drafts, bool final = false)
        {
            var result = new List<FeatureDraft>(drafts.Count);
            var repaired = 0;
            for (var i = 0; i < drafts.Count; i++)
            {
                var draft = drafts[i];
                RefuseBadText(layer, draft);
                var check = FeatureValidator.Validate(layer, i, draft.Id, draft.Geometry, draft.Properties);
                if (!check.IsValid)
                {
                    Warn($"{layer.Key()}/{draft.Id} dropped: {string.Join("; ", check.Problems.Select(p => $"{p.Field} {p.Message}"))}");
                    continue;
                }
                repaired += check.Repairs.Count;
                // The validator's geometry (rounded to 7 decimals, RFC 7946 orientation, repaired), our properties
                // (already of the schema's types, and with numbers that read back as any numeric type).
                result.Add(draft with { Geometry = check.Draft!.Geometry });
            }
            if (repaired > 0 && !final) Skip($"{layer.Key()}: polygons invalid in OSM, repaired by the validator");
            return result;
        }

        /// <summary>
        /// A NUL or a lone surrogate in what would be stored (an XML character reference such as <c>&amp;#xD800;</c> makes
        /// one; OSM itself never holds them): the whole extract is refused, as a GeoJSON import with such text is, so that
        /// both stores answer alike (PostgreSQL cannot store either).
        /// </summary>
        static void RefuseBadText(IReadOnlyList<LayerBatch> batches)
        {
            foreach (var batch in batches)
                foreach (var f in batch.Features) RefuseBadText(batch.Layer, f);
        }

        /// <summary>One feature's check (before validation, which would drop the feature quietly and hide why).</summary>
        static void RefuseBadText(Layer layer, FeatureDraft f)
        {
            foreach (var (key, value) in f.Properties)
            {
                var text = BadTextIndex(key) >= 0 ? key : value is JsonValue v && v.TryGetValue<string>(out var s) && BadTextIndex(s) >= 0 ? s : null;
                if (text is null) continue;
                var element = f.Text("osm_id") ?? f.Id;
                var what = BadTextIndex(text) is var i && text[i] == '\0' ? "a NUL character" : $"a lone UTF-16 surrogate (U+{(int)text[i]:X4})";
                throw new OsmRefusedException("invalid_text",
                    $"{element}: {(text == key ? "a property name" : $"property '{key}'")} holds {what}, which no store can hold; fix the extract and import again", false,
                    new Dictionary<string, object?> { ["element"] = element, ["layer"] = layer.Key(), ["feature"] = f.Id, ["property"] = key });
            }
        }

        // ---- helpers ----

        static bool IsBuilding(Dictionary<string, string> tags) =>
            tags.TryGetValue("building", out var b) && b is { Length: > 0 } && b != "no";

        static bool IsCompound(Dictionary<string, string> tags) =>
            tags.GetValueOrDefault("landuse") == "residential"
            || tags.GetValueOrDefault("place") == "neighbourhood"
            || tags.GetValueOrDefault("residential") is { Length: > 0 } r && r != "no";

        Coordinate[]? Coordinates(long[] nodeIds, out int missing)
        {
            missing = 0;
            var coords = new Coordinate[nodeIds.Length];
            for (var i = 0; i < nodeIds.Length; i++)
            {
                if (_nodes.TryGetValue(nodeIds[i], out var c)) coords[i] = c;
                else missing++;
            }
            return missing == 0 ? coords : null;
        }

        static Dictionary<string, string> ToDictionary(OsmSharp.Tags.TagsCollectionBase tags)
        {
            var d = new Dictionary<string, string>(tags.Count, StringComparer.Ordinal);
            foreach (var t in tags) d[t.Key] = t.Value ?? "";
            return d;
        }


        static IReadOnlyDictionary<string, string> StringTags(JsonObject p) =>
            p.Where(kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());

        /// <summary>A number that reads back as int, long or double (as one parsed from a file does).</summary>
        static JsonNode Number(long value) => JsonSerializer.SerializeToNode(value)!;
    }
}
