using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Codes;
using GridMap.Core.Model;

namespace GridMap.Core.Schema;

public enum PropertyType { Text, Integer, Number, Boolean, Key, People, Units, TextList, Positions }

/// <summary>One property of a layer as files and the API carry it (snake_case).</summary>
public sealed record PropertySpec(
    string Name, PropertyType Type, string Description,
    bool Required = false, IReadOnlyList<string>? Allowed = null, Func<string, string?>? Check = null);

/// <summary>What a layer's features look like: geometry types and properties. docs/schema.md is this, in prose.</summary>
public sealed record LayerSchema(Layer Layer, IReadOnlyList<string> GeometryTypes, IReadOnlyList<PropertySpec> Properties, bool OpenTags = false)
{
    public PropertySpec? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);

    static readonly string[] Polygons = ["Polygon", "MultiPolygon"];

    static string? Digits(string value, int n) =>
        value.Length == n && value.All(char.IsAsciiDigit) ? null : $"must be {n} digits";

    static string? AreaCode(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null : "must be 1–64 letters, digits, '-', '_' or '.'";

    static readonly PropertySpec Provisional = new("provisional", PropertyType.Boolean,
        "true for an area GridMap formed where the data held none (codes 99xxxx / 9xx / 9xx; docs/areas.md)");

    static readonly PropertySpec AreaOsmId = new("osm_id", PropertyType.Text,
        "the OSM boundary it came from, e.g. relation/4734760 (an OSM import; docs/areas.md)");

    static readonly PropertySpec CommunityCode = new("community_code", PropertyType.Text, "code of the community (社区) it belongs to", Check: AreaCode);

    public static readonly IReadOnlyList<LayerSchema> All =
    [
        new(Layer.Districts, Polygons,
        [
            new("code", PropertyType.Text, "6-digit division code (GB/T 2260), e.g. 520304", Required: true, Check: v => Digits(v, 6)),
            new("name", PropertyType.Text, "name, e.g. 播州区", Required: true),
            Provisional,
            AreaOsmId,
        ]),
        new(Layer.Streets, Polygons,
        [
            new("code", PropertyType.Text, "9 digits: district code + 3-digit street code", Required: true, Check: v => Digits(v, 9)),
            new("name", PropertyType.Text, "name, e.g. 桂花桥街道", Required: true),
            new("district_code", PropertyType.Text, "6-digit code of its district (derived from code when absent)", Check: v => Digits(v, 6)),
            Provisional,
            AreaOsmId,
        ]),
        new(Layer.Communities, Polygons,
        [
            new("code", PropertyType.Text, "12 digits (district 6 + street 3 + community 3); other area codes are accepted and give grid codes of the form {code}-{sequence}", Required: true, Check: AreaCode),
            new("name", PropertyType.Text, "name, e.g. 南坛社区", Required: true),
            new("street_code", PropertyType.Text, "9-digit code of its street (derived from a 12-digit code when absent)", Check: AreaCode),
            Provisional,
            AreaOsmId,
        ]),
        new(Layer.Compounds, Polygons,
        [
            new("name", PropertyType.Text, "name of the compound (小区)"),
            new("class", PropertyType.Key, "compound class (default other)", Allowed: CompoundClasses.All.Select(k => k.Key).ToList()),
            new("property_management", PropertyType.Boolean, "has property management (物业)"),
            new("households", PropertyType.Integer, "households (户), given or estimated"),
            new("households_estimated", PropertyType.Boolean, "true when households is an estimate"),
            new("households_rule", PropertyType.Text, "what decided its households: given, buildings_sum (its buildings cover enough of it) or area_density (area × density of its class; its remainder unit holds what its buildings do not)"),
            new("gates", PropertyType.Positions, "gates (出入口) in the compound wall, as [lon, lat] positions: when given, the compound is walled and walks from its buildings leave through them"),
            CommunityCode,
        ]),
        new(Layer.Buildings, ["Polygon", "MultiPolygon", "Point"],
        [
            new("households", PropertyType.Integer, "households (户), given or estimated; estimated from footprint and levels when absent"),
            new("households_estimated", PropertyType.Boolean, "true when households is an estimate"),
            new("households_rule", PropertyType.Text, "the rule that decided its households (docs/estimation.md): given, residential_type, villa, small_house, slab_shape, inside_compound, non_residential_name, compound_remainder, …"),
            new("synthetic", PropertyType.Boolean, "true for a compound's remainder unit: the households of its compound that no mapped building holds, placed in its unmapped land"),
            new("units_synthesised", PropertyType.Boolean, "true when its units are synthesised stairwells of about 50 households (none were given)"),
            new("levels", PropertyType.Integer, "number of storeys"),
            new("building", PropertyType.Text, "OSM building type (apartments, residential, house, commercial, …)"),
            new("units", PropertyType.Units, "stairwells (单元): array of {id, households}"),
            new("address", PropertyType.Text, "street address (from OSM addr:* where present)"),
            new("compound", PropertyType.Text, "id of its compound"),
            CommunityCode,
            new("grid_code", PropertyType.Text, "code of the grid it belongs to (derived: set by /api/grids/assign, rebalance, partition accepts and layer imports)"),
            new("grid_codes", PropertyType.TextList, "codes of the grids holding its units, when it is split between grids (derived)"),
        ]),
        new(Layer.Grids, Polygons,
        [
            new("code", PropertyType.Text, "15 characters (community 12 + sequence 3), or {area code}-{sequence}", Required: true, Check: AreaCode),
            new("name", PropertyType.Text, "name, e.g. 南坛社区第1网格"),
            CommunityCode,
            new("workers", PropertyType.People, "grid workers (网格员): array of {name, phone}"),
            new("building_heads", PropertyType.People, "building heads (楼栋长): array of {name, phone, building}"),
            new("households", PropertyType.Integer, "households: the sum over its buildings (derived)"),
            new("unit_ids", PropertyType.TextList, "ids of its buildings (or building units) (derived)"),
            new("status", PropertyType.Key, "active, draft or retired (default active); a retired grid keeps its last polygon and code, is not drawn or counted", Allowed: GridStatuses.All),
            new("type", PropertyType.Key, "basic (基础网格, held to the band; default) or dedicated (专属网格: campus, hospital, business land; no band)", Allowed: ["basic", "dedicated"]),
            new("replaced_by", PropertyType.TextList, "codes of the grids that replaced a retired grid"),
            new("replaces", PropertyType.TextList, "codes of the grids a grid took over: a re-coded grid names its old code, a re-partition's grid the straddling grids whose land it took (docs/areas.md)"),
        ]),
        new(Layer.Stations, ["Point", "Polygon", "MultiPolygon"],
        [
            new("kind", PropertyType.Key, "station kind", Required: true, Allowed: StationKinds.All.Select(k => k.Key).ToList()),
            new("name", PropertyType.Text, "name, e.g. 南坛社区党群服务中心"),
            new("opening_hours", PropertyType.Text, "opening hours in OSM syntax, e.g. Mo-Fr 08:30-17:30"),
            new("capacity", PropertyType.Integer, "capacity (seats, beds or children), optional"),
            CommunityCode,
        ]),
        new(Layer.Network, ["LineString", "MultiLineString"],
        [
            new("highway", PropertyType.Text, "OSM highway class (footway, residential, primary, …)", Required: true),
            new("name", PropertyType.Text, "street name"),
            new("foot", PropertyType.Text, "OSM foot access (yes, no, designated, …)"),
            new("access", PropertyType.Text, "OSM access (no, private, …)"),
            new("sidewalk", PropertyType.Text, "OSM sidewalk (both, left, right, no, separate)"),
            new("bridge", PropertyType.Text, "OSM bridge"),
            new("tunnel", PropertyType.Text, "OSM tunnel"),
            new("layer", PropertyType.Text, "OSM layer"),
            new("oneway", PropertyType.Text, "OSM oneway (walking ignores it)"),
        ], OpenTags: true),
        new(Layer.SpecialAreas, Polygons,
        [
            new("kind", PropertyType.Key, "what the land is (专属网格: its own grid, managed by its unit)", Required: true, Allowed: SpecialAreaKinds.All),
            new("name", PropertyType.Text, "name, e.g. 四川大学望江校区"),
            new("osm_id", PropertyType.Text, "the OSM object it came from, e.g. way/123"),
            CommunityCode,
        ]),
    ];

    public static LayerSchema For(Layer layer) => All.First(s => s.Layer == layer);
}
