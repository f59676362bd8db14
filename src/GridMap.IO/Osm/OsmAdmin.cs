using GridMap.Core.Areas;
using NetTopologySuite.Geometries;

namespace GridMap.IO.Osm;

/// <summary>
/// Administrative boundaries in an extract: <c>boundary=administrative</c> relations (and named closed ways) of
/// <c>admin_level</c> 6 (区/县 → districts), 8 (街道/乡镇 → streets), 9 and 10 (社区/村 → communities). Relations the
/// extract cut are closed along its bounds (<see cref="CutBoundaries"/>), then coded (<see cref="AdminAreas"/>).
/// </summary>
internal sealed class OsmAdmin
{
    /// <summary>Division-code tags, most specific first (wiki: Key:ref:admin:CN); <c>ref</c> last.</summary>
    public static readonly string[] CodeTags = ["ref:admin:CN", "ref:admin:CN:mca", "ref:admin:CN:nbs", "division_code", "ref:gb", "ref"];

    static readonly int[] Levels = [6, 8, 9, 10];

    sealed record Candidate(string Key, string OsmId, int Level, string Name, string? Ref, BoundaryRelation Relation);

    readonly List<Candidate> _candidates = [];

    /// <summary>The admin level GridMap reads (6, 8, 9, 10), or null.</summary>
    public static int? LevelOf(IReadOnlyDictionary<string, string> tags) =>
        tags.GetValueOrDefault("boundary") == "administrative" && int.TryParse(tags.GetValueOrDefault("admin_level"), out var level)
            && Levels.Contains(level) ? level : null;

    public static string? CodeOf(IReadOnlyDictionary<string, string> tags, int level)
    {
        var digits = level switch { 6 => 6, 8 => 9, _ => 12 };
        return CodeTags.Select(t => AdminAreas.DivisionCode(tags.GetValueOrDefault(t), digits)).FirstOrDefault(c => c is not null);
    }

    /// <summary>A relation: its member ways present (whole), its polygon if they close, its inside nodes.</summary>
    public void AddRelation(long id, int level, string name, IReadOnlyDictionary<string, string> tags, IReadOnlyList<BoundaryWay> ways,
        Geometry? complete, IReadOnlyList<Coordinate> inside) =>
        _candidates.Add(new Candidate($"r{id}", $"relation/{id}", level, name, CodeOf(tags, level), new BoundaryRelation($"r{id}", ways, complete, inside)));

    public void AddWay(long id, int level, string name, IReadOnlyDictionary<string, string> tags, Polygon polygon) =>
        _candidates.Add(new Candidate($"w{id}", $"way/{id}", level, name, CodeOf(tags, level),
            new BoundaryRelation($"w{id}", [], polygon, [])));

    public bool Any => _candidates.Count > 0;

    /// <summary>Closes and codes what was read; what cannot be formed is skipped with a warning.</summary>
    public (AdminAreaSet Areas, IReadOnlyDictionary<string, string> OsmIds) Build(Envelope bounds, Action<string> warn)
    {
        var boundaries = new List<AdminBoundary>();
        foreach (var level in Levels)
        {
            var here = _candidates.Where(c => c.Level == level).ToList();
            if (here.Count == 0) continue;
            var closed = CutBoundaries.Close(bounds, here.Select(c => c.Relation).ToList(), OsmPolygons.Factory);
            for (var i = 0; i < here.Count; i++)
            {
                var (c, r) = (here[i], closed[i]);
                if (r.Polygon is null)
                {
                    warn($"{c.OsmId} ({c.Name}, admin_level {level}): {r.Problem}: skipped");
                    continue;
                }
                if (r.Repaired)
                    warn($"{c.OsmId} ({c.Name}, admin_level {level}): cut by the extract, closed along its bounds (side: {Side(r.Side)})");
                boundaries.Add(new AdminBoundary(c.Key, level, c.Name, c.Ref, r.Polygon));
            }
        }
        var set = AdminAreas.Code(boundaries);
        foreach (var w in set.Warnings) warn(w);
        return (set, _candidates.ToDictionary(c => c.Key, c => c.OsmId));
    }

    static string Side(BoundarySide side) => side switch
    {
        BoundarySide.InsidePoint => "from its admin_centre or label node",
        BoundarySide.Neighbours => "from the neighbours it shares ways with",
        BoundarySide.Guessed => "guessed from the shape of its known boundary",
        _ => "complete",
    };
}
