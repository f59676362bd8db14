using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Model;

/// <summary>District (区/县), street (街道) or community (社区): a polygon with its full hierarchical code.</summary>
/// <remarks>Codes are stored in full: district 6 digits, street 9 (district + 3), community 12 (street + 3).</remarks>
public sealed record Area(Layer Level, string Code, string Name, string? ParentCode, Geometry Geometry)
{
    public static Area From(StoredFeature f) => new(
        f.Layer,
        f.Text("code") ?? f.Id,
        f.Text("name") ?? "",
        f.Text(f.Layer == Layer.Streets ? "district_code" : "street_code"),
        f.Geometry);
}

/// <summary>A compound (小区); households are given or, when flagged, estimated.</summary>
public sealed record Compound(
    string Id, string Name, string Class, bool PropertyManagement,
    int Households, bool HouseholdsEstimated, string? CommunityCode, Geometry Geometry)
{
    /// <summary>Gates (出入口) in its wall, when known: walks from its buildings leave through them.</summary>
    public IReadOnlyList<Point> Gates { get; init; } = [];

    public static Compound From(StoredFeature f) => new(
        f.Id, f.Text("name") ?? "", f.Text("class") ?? CompoundClasses.Other,
        f.Properties["property_management"]?.GetValue<bool>() ?? false,
        (int)(f.Integer("households") ?? 0),
        f.Properties["households_estimated"]?.GetValue<bool>() ?? false,
        f.Text("community_code"), f.Geometry)
    {
        Gates = (f.Properties["gates"] as JsonArray)?.OfType<JsonArray>()
            .Where(p => p.Count == 2 && JsonNumber.ToDouble(p[0]) is not null && JsonNumber.ToDouble(p[1]) is not null)
            .Select(p => Spatial.GeometryRules.Factory.CreatePoint(new Coordinate(JsonNumber.ToDouble(p[0])!.Value, JsonNumber.ToDouble(p[1])!.Value)))
            .ToList() ?? [],
    };
}

/// <summary>A stairwell (单元) of a building; a high-rise may be split between grids only by whole units.</summary>
public sealed record BuildingUnit(string Id, int Households)
{
    /// <summary>
    /// Households a grid's unit id stands for in a building: "b1" the whole building, "b1/u2" one stairwell (matched by its
    /// own id or the full unit id), 0 for a stairwell the building does not list.
    /// </summary>
    public static int HouseholdsOf(int buildingHouseholds, IReadOnlyList<BuildingUnit>? units, string unitId)
    {
        var slash = unitId.IndexOf('/');
        if (slash < 0) return buildingHouseholds;
        var unit = unitId[(slash + 1)..];
        return units?.FirstOrDefault(u => u.Id == unit || u.Id == unitId)?.Households ?? 0;
    }

    /// <summary>
    /// Stairwells for a building whose own are not known: k = ceil(households ÷ <paramref name="perUnit"/>) units
    /// S1…Sk sharing the households as evenly as whole numbers allow (the first ones take the extra one). The same
    /// numbers always give the same units, so a partition of a file and of a store agree. Where whole units of that
    /// size cannot make grids of <paramref name="min"/>..<paramref name="max"/> (930 households: 19 units of 49 make
    /// 3 × 294 + 196), k grows until they can (20 units: 4 × 232).
    /// </summary>
    public static IReadOnlyList<BuildingUnit> Synthesise(int households, int perUnit, int min = 200, int max = 300)
    {
        if (households <= 0 || perUnit <= 0) return [];
        var k0 = (households + perUnit - 1) / perUnit;
        var k = Enumerable.Range(k0, k0 + 1).FirstOrDefault(n => Groupable(households, n, min, max), k0);
        var each = households / k;
        var extra = households - each * k;
        return Enumerable.Range(1, k).Select(i => new BuildingUnit($"S{i}", each + (i <= extra ? 1 : 0))).ToList();
    }

    /// <summary>Whether k near-even units of a building can be dealt to some number of grids, each within min..max.</summary>
    static bool Groupable(int households, int k, int min, int max)
    {
        if (households <= max) return true;
        var (small, large) = (households / k, (households + k - 1) / k);
        for (var g = Math.Max(1, (households + max - 1) / max); g <= households / Math.Max(min, 1) && g <= k; g++)
            if (k / g * small >= min && (k + g - 1) / g * large <= max) return true;
        return false;
    }
}

/// <summary>A building (楼栋): footprint polygon or point.</summary>
public sealed record Building(
    string Id, int Households, bool HouseholdsEstimated, int? Levels, string? Type,
    IReadOnlyList<BuildingUnit> Units, string? Address, string? Compound,
    string? CommunityCode, string? GridCode, Geometry Geometry)
{
    public static Building From(StoredFeature f) => new(
        f.Id, (int)(f.Integer("households") ?? 0),
        f.Properties["households_estimated"]?.GetValue<bool>() ?? false,
        (int?)f.Integer("levels"), f.Text("building"),
        (f.Properties["units"] as JsonArray)?.OfType<JsonObject>()
            .Select(u => new BuildingUnit(u["id"]?.ToString() ?? "", (int)(JsonNumber.ToLong(u["households"]) ?? 0))).ToList() ?? [],
        f.Text("address"), f.Text("compound"), f.Text("community_code"), f.Text("grid_code"), f.Geometry);
}

/// <summary>A grid worker (网格员) or building head (楼栋长).</summary>
public sealed record Person(string Name, string? Phone);

/// <summary>A grid (网格) with its code (赋码管理) and the people who serve it.</summary>
public sealed record Grid(
    string Code, string Name, string? CommunityCode, IReadOnlyList<Person> Workers,
    int Households, string Status, Geometry Geometry)
{
    public static Grid From(StoredFeature f) => new(
        f.Text("code") ?? f.Id, f.Text("name") ?? "", f.Text("community_code"),
        (f.Properties["workers"] as JsonArray)?.OfType<JsonObject>()
            .Select(w => new Person(w["name"]?.ToString() ?? "", w["phone"]?.ToString())).ToList() ?? [],
        (int)(f.Integer("households") ?? 0), f.Text("status") ?? "active", f.Geometry);
}

/// <summary>A service station; <see cref="Location"/> is the point walks start from.</summary>
public sealed record Station(
    string Id, string Kind, string Name, string? OpeningHours, int? Capacity, Geometry Geometry)
{
    public Point Location => Geometry as Point ?? Geometry.InteriorPoint;

    public static Station From(StoredFeature f) => new(
        f.Id, f.Text("kind") ?? StationKinds.Other, f.Text("name") ?? "",
        f.Text("opening_hours"), (int?)f.Integer("capacity"), f.Geometry);
}

/// <summary>One line of the walking network with its OSM tags.</summary>
public sealed record WalkLine(string Id, IReadOnlyDictionary<string, string> Tags, LineString Line)
{
    public bool Walkable => Walkability.IsWalkable(Tags);

    public static IEnumerable<WalkLine> From(StoredFeature f)
    {
        var tags = f.Properties
            .Where(p => p.Value is JsonValue)
            .ToDictionary(p => p.Key, p => p.Value!.ToString());
        return f.Geometry switch
        {
            LineString l => [new WalkLine(f.Id, tags, l)],
            MultiLineString m => m.Geometries.Cast<LineString>().Select((l, i) => new WalkLine($"{f.Id}#{i}", tags, l)),
            _ => [],
        };
    }
}
