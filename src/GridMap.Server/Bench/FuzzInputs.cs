using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridMap.Server.Bench;

/// <summary>One endpoint as the server's own OpenAPI document describes it.</summary>
public sealed record FuzzEndpoint(string Method, string Template, IReadOnlyList<FuzzParameter> Parameters, IReadOnlyList<string> BodyTypes, JsonObject? BodySchema)
{
    public string Key => $"{Method} {Template}";

    public bool IsWrite => Method is not ("GET" or "HEAD");

    /// <summary>Reads every operation of an OpenAPI 3 document, with request-body schemas resolved (one level of $ref at a time, lazily).</summary>
    public static IReadOnlyList<FuzzEndpoint> FromOpenApi(JsonObject doc)
    {
        var list = new List<FuzzEndpoint>();
        foreach (var (path, ops) in doc["paths"]!.AsObject())
            foreach (var (method, op) in ops!.AsObject())
            {
                if (method == "parameters" || op is not JsonObject o) continue;
                var parameters = (o["parameters"] as JsonArray ?? [])
                    .OfType<JsonObject>()
                    .Select(p => new FuzzParameter((string)p["name"]!, (string)p["in"]!, p["schema"]?["type"]?.ToJsonString()))
                    .ToList();
                var content = o["requestBody"]?["content"] as JsonObject;
                var types = content?.Select(kv => kv.Key).ToList() ?? [];
                var schema = content?.Select(kv => kv.Value?["schema"] as JsonObject).FirstOrDefault(s => s is not null);
                list.Add(new FuzzEndpoint(method.ToUpperInvariant(), path, parameters, types, schema is null ? null : (JsonObject)schema.DeepClone()));
            }
        return list;
    }
}

public sealed record FuzzParameter(string Name, string In, string? Type);

/// <summary>What the store held when the run started: ids and features to build plausible requests from.</summary>
public sealed class FuzzPools
{
    public required IReadOnlyList<string> LayerKeys { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Ids { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Features { get; init; }
    public required IReadOnlyList<string> CommunityCodes { get; init; }
    public required IReadOnlyList<string> StreetCodes { get; init; }
    public required IReadOnlyList<string> GridCodes { get; init; }
    public required IReadOnlyList<string> BuildingIds { get; init; }
    public required IReadOnlyList<string> StationIds { get; init; }
    /// <summary>Accounts the fuzzer may change, delete or sign in as (never the ones it signs in with).</summary>
    public required IReadOnlyList<string> SpareAccounts { get; init; }
    public required string SparePassword { get; init; }
    /// <summary>Token ids the fuzzer may revoke (never its own).</summary>
    public required IReadOnlyList<string> SpareTokens { get; init; }
    public required (double MinLon, double MinLat, double MaxLon, double MaxLat) Extent { get; init; }
    /// <summary>Partition job ids seen in answers during the run.</summary>
    public List<string> Jobs { get; } = [];
}

/// <summary>
/// The hostile values and body mutations the fuzzer draws from. Everything is chosen through one seeded
/// <see cref="Random"/>, so a seed and a store give the same request sequence.
/// </summary>
public static class FuzzInputs
{
    /// <summary>Stands for a lone UTF-16 surrogate in JSON text (System.Text.Json will not write one): replaced by <c>\ud800</c>.</summary>
    public const string Surrogate = "\u0001FUZZ-SURROGATE\u0001";

    /// <summary>Stands for a bare NaN literal in JSON text (not JSON): replaced by <c>NaN</c>.</summary>
    public const string NaNLiteral = "\u0001FUZZ-NAN\u0001";

    static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Hostile values for path segments and query values, as raw text (encoded by <see cref="Encode"/>).</summary>
    public static readonly string[] HostileText =
    [
        "", " ", "0", "-1", "-0", "1.5", "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999999999",
        "1e309", "-1e309", "NaN", "Infinity", "-Infinity", "0x10", "abc", "null", "true", "[]", "{}", "\0", "a\0b",
        "%00", "\ud800", "x\udfffy", "😀", "网格", "\u202e\u0041", "\r\n", "\t", "..", "../../etc/passwd", "a/b", "%2e%2e",
        "<script>alert(1)</script>", "' OR 1=1 --", "%", "%zz", "?", "#", "+", "   leading", "ＡＢＣ", "١٢٣",
        new string('a', 300), new string('9', 400), new string('网', 1000), new string('x', 20_000),
    ];

    public static string Pick(Random r, IReadOnlyList<string> list) => list.Count == 0 ? "none" : list[r.Next(list.Count)];

    public static string Hostile(Random r) => HostileText[r.Next(HostileText.Length)];

    /// <summary>
    /// Percent-encodes text for a path segment or query value. A lone surrogate is sent as its WTF-8 bytes
    /// (<c>%ED%A0%80</c>): invalid UTF-8, as a hostile client would send it. "%00"-like text is sent as it is
    /// when it was drawn as raw (<paramref name="raw"/>).
    /// </summary>
    public static string Encode(string text, bool raw = false)
    {
        if (raw) return text;
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])))
            {
                foreach (var b in Wtf8(c)) sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                continue;
            }
            var len = char.IsHighSurrogate(c) ? 2 : 1;
            sb.Append(Uri.EscapeDataString(text.Substring(i, len)));
            i += len - 1;
        }
        return sb.ToString();
    }

    static byte[] Wtf8(char c) => [(byte)(0xE0 | (c >> 12)), (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))];

    /// <summary>JSON text with the markers replaced by what System.Text.Json refuses to write.</summary>
    public static string Text(JsonNode? node)
    {
        var s = node is null ? "null" : node.ToJsonString(Relaxed);
        s = s.Replace(JsonString(Surrogate), "\"\\ud800\"").Replace(Surrogate.Replace("\u0001", "\\u0001"), "\\ud800")
             .Replace(JsonString(NaNLiteral), "NaN");
        return s.Contains("FUZZ-DEEP-", StringComparison.Ordinal)
            ? DeepMarker.Replace(s, m => new string('[', int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)) + new string(']', int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
            : s;
    }

    static string JsonString(string s) => JsonSerializer.Serialize(s, Relaxed);

    /// <summary>A hostile JSON value for a field of any type.</summary>
    public static JsonNode? HostileValue(Random r) => r.Next(22) switch
    {
        0 => null,
        1 => "",
        2 => JsonValue.Create(2147483647),
        3 => JsonValue.Create(-2147483648L),
        4 => JsonValue.Create(9.2e18),
        5 => JsonValue.Create(-1),
        6 => JsonValue.Create(0.5),
        7 => NaNLiteral,
        8 => Surrogate,
        9 => "a\0b",
        10 => new JsonArray(),
        11 => new JsonObject(),
        12 => new string('x', 100_000),
        13 => Deep(r.Next(2) == 0 ? 70 : 2000),
        14 => true,
        15 => "NaN",
        16 => JsonValue.Create(1e300),
        17 => new JsonArray(Enumerable.Range(0, 5_000).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        18 => "😀网格\u202e",
        19 => JsonValue.Create(99999),
        20 => "-1",
        _ => "abc",
    };

    /// <summary>
    /// Nested arrays <paramref name="depth"/> deep. System.Text.Json writes at most 64 levels, so this is a marker that
    /// <see cref="Text"/> replaces by the brackets.
    /// </summary>
    public static JsonNode Deep(int depth) => JsonValue.Create($"\u0001FUZZ-DEEP-{depth}\u0001");

    static readonly System.Text.RegularExpressions.Regex DeepMarker = new(@"""\\u0001FUZZ-DEEP-(\d+)\\u0001""");

    /// <summary>
    /// Text that is not JSON: truncated, wrong punctuation, trailing garbage, or not JSON at all.
    /// </summary>
    public static string Malformed(Random r, string valid) => r.Next(8) switch
    {
        0 => valid.Length > 2 ? valid[..r.Next(1, valid.Length - 1)] : "{",
        1 => valid.Replace(':', ';'),
        2 => valid + "}}}",
        3 => "{\"type\":\"Feature\",",
        4 => "not json at all",
        5 => "\uFEFF\uFEFF" + valid,
        6 => "{'type':'Feature'}",
        _ => new string('[', 100_000),
    };

    // ---------------------------------------------------------------------------------------------------------------
    // GeoJSON features

    /// <summary>The mutations a feature body can get; <see cref="MutateFeature"/> applies one by its name.</summary>
    public static readonly string[] FeatureMutations =
    [
        "3d-coordinates", "nan-coordinate", "huge-coordinate", "out-of-range-lonlat", "households-max", "households-negative",
        "households-string", "households-fraction", "deep-nesting", "surrogate-in-id", "surrogate-in-property", "surrogate-in-key",
        "nul-in-value", "nul-in-key", "nul-in-id", "geometry-string", "properties-array", "coordinates-object", "type-wrong",
        "geometry-null", "properties-null", "huge-array", "zigzag-polygon", "unclosed-ring", "two-point-ring", "wrong-geometry-type",
        "long-string", "unknown-members", "derived-field", "id-mismatch", "code-number", "far-away", "empty-object", "feature-collection",
        "id-number", "long-id", "big-polygon", "levels-huge", "units-garbage", "workers-garbage",
    ];

    /// <summary>A feature from the pools (or a made-up one), with 0–2 mutations; the names of those applied in <paramref name="applied"/>.</summary>
    public static JsonNode? Feature(Random r, FuzzPools pools, string layer, string? id, List<string> applied)
    {
        var source = pools.Features.TryGetValue(layer, out var fs) && fs.Count > 0 ? fs[r.Next(fs.Count)] : pools.Features.Values.SelectMany(v => v).FirstOrDefault();
        var feature = source is null
            ? new JsonObject { ["type"] = "Feature", ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(106.83, 27.54) }, ["properties"] = new JsonObject() }
            : JsonNode.Parse(source)!.AsObject();
        feature.Remove("version");
        if (id is not null) feature["id"] = id;
        else if (r.Next(4) != 0) feature["id"] = $"fuzz-{r.Next(1_000_000)}";
        var count = r.Next(6) switch { 0 => 0, 1 or 2 or 3 => 1, _ => 2 };
        JsonNode? result = feature;
        for (var i = 0; i < count; i++)
        {
            var m = FeatureMutations[r.Next(FeatureMutations.Length)];
            applied.Add(m);
            result = MutateFeature(r, pools, result, m);
        }
        return result;
    }

    public static JsonNode? MutateFeature(Random r, FuzzPools pools, JsonNode? node, string mutation)
    {
        if (node is not JsonObject f) return node;
        var props = f["properties"] as JsonObject;
        var geometry = f["geometry"] as JsonObject;
        switch (mutation)
        {
            case "3d-coordinates": MapPositions(geometry, p => p.Add(JsonValue.Create(12.5))); break;
            case "nan-coordinate": MapFirstPosition(geometry, p => p[0] = r.Next(2) == 0 ? NaNLiteral : "NaN"); break;
            case "huge-coordinate": MapFirstPosition(geometry, p => p[1] = 1e308); break;
            case "out-of-range-lonlat": MapPositions(geometry, p => { p[0] = 500.0 + p[0]!.GetValue<double>(); p[1] = -100.0; }); break;
            case "households-max": if (props is not null) props["households"] = 2147483647; break;
            case "households-negative": if (props is not null) props["households"] = -5; break;
            case "households-string": if (props is not null) props["households"] = "many"; break;
            case "households-fraction": if (props is not null) props["households"] = 2.5; break;
            case "deep-nesting": if (props is not null) props["nested"] = Deep(r.Next(2) == 0 ? 60 : 1500); break;
            case "surrogate-in-id": f["id"] = Surrogate; break;
            case "surrogate-in-property": if (props is not null) props[r.Next(2) == 0 ? "name" : "address"] = Surrogate; break;
            case "surrogate-in-key": if (props is not null) props[Surrogate] = "v"; break;
            case "nul-in-value": if (props is not null) props[r.Next(2) == 0 ? "name" : "address"] = "a\0b"; break;
            case "nul-in-key": if (props is not null) props["k\0ey"] = "v"; break;
            case "nul-in-id": f["id"] = "id\0x"; break;
            case "geometry-string": f["geometry"] = "POLYGON((0 0,1 0,1 1,0 0))"; break;
            case "properties-array": f["properties"] = new JsonArray(1, 2, 3); break;
            case "coordinates-object": if (geometry is not null) geometry["coordinates"] = new JsonObject { ["x"] = 1 }; break;
            case "type-wrong": f["type"] = r.Next(2) == 0 ? "Featur" : null; break;
            case "geometry-null": f["geometry"] = null; break;
            case "properties-null": f["properties"] = null; break;
            case "huge-array": if (props is not null) props["tags"] = new JsonArray(Enumerable.Range(0, 20_000).Select(i => (JsonNode?)JsonValue.Create($"t{i}")).ToArray()); break;
            case "zigzag-polygon": f["geometry"] = ZigZag(r, pools, 100 + r.Next(700)); break;
            case "unclosed-ring":
                if (geometry?["coordinates"] is JsonArray { Count: > 0 } rings && rings[0] is JsonArray { Count: > 3 } ring) ring.RemoveAt(ring.Count - 1);
                break;
            case "two-point-ring": f["geometry"] = new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(new JsonArray(new JsonArray(106.83, 27.54), new JsonArray(106.83, 27.54))) }; break;
            case "wrong-geometry-type":
                f["geometry"] = r.Next(2) == 0
                    ? new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(106.83, 27.54) }
                    : new JsonObject { ["type"] = "GeometryCollection", ["geometries"] = new JsonArray() };
                break;
            case "long-string": if (props is not null) props["name"] = new string('名', 60_000); break;
            case "unknown-members": f["crs"] = new JsonObject { ["type"] = "name" }; f["bbox"] = new JsonArray(1, 2, 3); if (props is not null) props["zzz_unknown"] = Surrogate; break;
            case "derived-field":
                if (props is not null)
                {
                    props["grid_code"] = Pick(r, pools.GridCodes);
                    props["unit_ids"] = new JsonArray("b00001");
                    props["households"] = 12345;
                }
                break;
            case "id-mismatch": f["id"] = $"other-{r.Next(1000)}"; break;
            case "code-number": if (props is not null) props["code"] = r.Next(2) == 0 ? 520304001001 : new JsonObject(); break;
            case "far-away": MapPositions(geometry, p => { p[0] = p[0]!.GetValue<double>() - 90; p[1] = p[1]!.GetValue<double>() + 30; }); break;
            case "empty-object": return new JsonObject();
            case "feature-collection": return new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray(f.DeepClone()) };
            case "id-number": f["id"] = r.Next(2) == 0 ? 12345 : 1e300; break;
            case "long-id": f["id"] = new string('i', 5_000); break;
            case "big-polygon": f["geometry"] = Circle(pools, 20_000 + r.Next(20_000)); break;
            case "levels-huge": if (props is not null) props["levels"] = r.Next(2) == 0 ? 2147483647 : -3; break;
            case "units-garbage": if (props is not null) props["units"] = r.Next(2) == 0 ? new JsonArray(new JsonObject { ["id"] = null, ["households"] = 2147483647 }, null, 3) : "units"; break;
            case "workers-garbage": if (props is not null) props["workers"] = r.Next(2) == 0 ? new JsonArray(null, 1, new JsonObject { ["name"] = Surrogate, ["phone"] = "a\0" }) : new JsonObject(); break;
        }
        return f;
    }

    static void MapPositions(JsonObject? geometry, Action<JsonArray> change)
    {
        void Walk(JsonNode? n)
        {
            if (n is not JsonArray a) return;
            if (a.Count >= 2 && a[0] is JsonValue && a[1] is JsonValue) { change(a); return; }
            foreach (var c in a.ToList()) Walk(c);
        }
        Walk(geometry?["coordinates"]);
    }

    static void MapFirstPosition(JsonObject? geometry, Action<JsonArray> change)
    {
        var done = false;
        MapPositions(geometry, p => { if (!done) { change(p); done = true; } });
    }

    static (double Lon, double Lat) Centre(FuzzPools pools) =>
        ((pools.Extent.MinLon + pools.Extent.MaxLon) / 2, (pools.Extent.MinLat + pools.Extent.MaxLat) / 2);

    /// <summary>A self-intersecting zig-zag ring of <paramref name="vertices"/> vertices about 100 m across: the shape that made geometry repair slow.</summary>
    public static JsonObject ZigZag(Random r, FuzzPools pools, int vertices)
    {
        var (lon, lat) = Centre(pools);
        lon += (r.NextDouble() - 0.5) * 0.01;
        lat += (r.NextDouble() - 0.5) * 0.01;
        var ring = new JsonArray();
        for (var i = 0; i < vertices; i++)
        {
            var x = lon + 0.001 * i / vertices;
            var y = lat + (i % 2 == 0 ? 0 : 0.001);
            ring.Add(new JsonArray(Math.Round(x, 7), Math.Round(y, 7)));
        }
        // Back across the teeth, so the ring crosses itself many times.
        ring.Add(new JsonArray(Math.Round(lon + 0.001, 7), Math.Round(lat - 0.0005, 7)));
        ring.Add(new JsonArray(Math.Round(lon, 7), Math.Round(lat + 0.0015, 7)));
        ring.Add(ring[0]!.DeepClone());
        return new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) };
    }

    /// <summary>A valid polygon with many vertices (a circle): a large geometry within the body limit.</summary>
    static JsonObject Circle(FuzzPools pools, int vertices)
    {
        var (lon, lat) = Centre(pools);
        var ring = new JsonArray();
        for (var i = 0; i < vertices; i++)
        {
            var a = 2 * Math.PI * i / vertices;
            ring.Add(new JsonArray(Math.Round(lon + 0.0005 * Math.Cos(a), 7), Math.Round(lat + 0.0005 * Math.Sin(a), 7)));
        }
        ring.Add(ring[0]!.DeepClone());
        return new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) };
    }

    /// <summary>A FeatureCollection of 1–5 features of the layer, each possibly mutated; sometimes empty or not a collection.</summary>
    public static JsonNode? Collection(Random r, FuzzPools pools, string layer, List<string> applied)
    {
        switch (r.Next(14))
        {
            case 0: applied.Add("empty-collection"); return new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray() };
            case 1: applied.Add("features-null"); return new JsonObject { ["type"] = "FeatureCollection", ["features"] = null };
            case 2: applied.Add("features-object"); return new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonObject() };
            case 3: applied.Add("many-points"); return new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray(Enumerable.Range(0, 3_000).Select(i => (JsonNode?)new JsonObject { ["type"] = "Feature", ["id"] = $"fz{i}", ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(106.83 + i * 1e-6, 27.54) }, ["properties"] = new JsonObject { ["kind"] = "market", ["name"] = $"点{i}" } }).ToArray()) };
            case 4: applied.Add("collection-null-feature"); return new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray(null, 1, "x") };
        }
        var n = 1 + r.Next(5);
        var features = new JsonArray();
        for (var i = 0; i < n; i++) features.Add(Feature(r, pools, layer, null, applied));
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Other JSON bodies, from the OpenAPI schema with plausible values by field name

    /// <summary>A plausible value for a request schema, filled by field name where the name says what it holds.</summary>
    public static JsonNode? FromSchema(Random r, FuzzPools pools, JsonObject? schema, JsonObject components, string? name = null, int depth = 0)
    {
        if (schema is null || depth > 6) return null;
        if (schema["$ref"] is JsonValue refValue)
        {
            var key = ((string)refValue!).Split('/')[^1];
            return FromSchema(r, pools, components[key] as JsonObject, components, name, depth + 1);
        }
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var options = oneOf.OfType<JsonObject>().Where(o => o["type"]?.ToString() != "null").ToList();
            return options.Count == 0 ? null : FromSchema(r, pools, options[0], components, name, depth + 1);
        }
        if (name is not null && ByName(r, pools, name) is { } known) return known.Value;
        var types = schema["type"] switch
        {
            JsonArray a => a.Select(t => t?.ToString() ?? "").Where(t => t != "null").ToList(),
            JsonValue v => [v.ToString()],
            _ => schema["properties"] is not null ? ["object"] : [],
        };
        var type = types.FirstOrDefault() ?? "object";
        switch (type)
        {
            case "object":
                var o = new JsonObject();
                if (schema["properties"] is JsonObject props)
                    foreach (var (k, v) in props)
                        o[k] = FromSchema(r, pools, v as JsonObject, components, k, depth + 1);
                return o;
            case "array":
                var arr = new JsonArray();
                for (var i = 0; i < 1 + r.Next(2); i++) arr.Add(FromSchema(r, pools, schema["items"] as JsonObject, components, name is null ? null : name + "[]", depth + 1));
                return arr;
            case "integer": return 1;
            case "number": return 1.5;
            case "boolean": return r.Next(2) == 0;
            default: return "x";
        }
    }

    /// <summary>Values for the fields GridMap's request bodies have, so valid-looking bodies reach deep code.</summary>
    static Box? ByName(Random r, FuzzPools pools, string name) => name switch
    {
        "name" => new(r.Next(3) == 0 ? Pick(r, pools.SpareAccounts) : $"fuzz-{r.Next(10_000)}"),
        "password" or "new" => new("correct-horse-battery-staple"),
        "current" => new(pools.SparePassword),
        "role" => new(Pick(r, ["admin", "planner", "organisation", "worker", "viewer", "root"])),
        "scope" => new(r.Next(4) switch { 0 => null, 1 => "all", 2 => Pick(r, pools.StreetCodes), _ => Pick(r, pools.CommunityCodes) }),
        "grids" or "grids[]" => new(new JsonArray(Pick(r, pools.GridCodes), Pick(r, pools.GridCodes))),
        "account" => new(Pick(r, pools.SpareAccounts)),
        "min" => new(200),
        "max" => new(300),
        "target" => new(250),
        "kind" => new(Pick(r, ["party_service_centre", "health_station", "market", "day_care", "kindergarten", "clinic"])),
        "minutes" => new(Pick(r, ["5", "10", "15", "5,10,15"])),
        "meters" => new(r.Next(2) == 0 ? null : Pick(r, ["300", "500", "1000"])),
        "profile" => new(Pick(r, ["adult", "elderly"])),
        "speed_kmh" => new(r.Next(2) == 0 ? null : 4.5),
        "add" => new(1 + r.Next(3)),
        "share" => new(r.Next(2) == 0 ? null : 0.9),
        "spacing" => new(300),
        "candidates" => new(r.Next(2) == 0 ? "auto" : new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["features"] = new JsonArray(new JsonObject { ["type"] = "Feature", ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(106.83, 27.54) }, ["properties"] = new JsonObject() }),
        }),
        "min_component_nodes" => new(50),
        "op" => new(Pick(r, ["add", "move", "remove"])),
        "station" => new(Pick(r, pools.StationIds)),
        "lon" => new(Math.Round(pools.Extent.MinLon + r.NextDouble() * (pools.Extent.MaxLon - pools.Extent.MinLon), 6)),
        "lat" => new(Math.Round(pools.Extent.MinLat + r.NextDouble() * (pools.Extent.MaxLat - pools.Extent.MinLat), 6)),
        "building" => new(Pick(r, pools.BuildingIds)),
        "grid" => new(r.Next(4) == 0 ? null : Pick(r, pools.GridCodes)),
        "neighbours" => new(r.Next(2) == 0),
        "dry_run" => new(r.Next(3) != 0),
        "base" => new(null),
        "versions" => new(new JsonObject()),
        "version" => new(1 + r.Next(3)),
        "fresh" => new(r.Next(2) == 0),
        "can_edit_households" => new(r.Next(2) == 0),
        _ => null,
    };

    sealed record Box(JsonNode? Value)
    {
        public Box(string? s) : this(s is null ? null : JsonValue.Create(s)) { }
        public Box(int i) : this(JsonValue.Create(i)) { }
        public Box(double d) : this(JsonValue.Create(d)) { }
        public Box(bool b) : this(JsonValue.Create(b)) { }
    }

    /// <summary>One mutation of a schema-built body: a field made hostile, removed or added, or the whole body replaced.</summary>
    public static JsonNode? MutateBody(Random r, JsonNode? body, List<string> applied)
    {
        switch (r.Next(10))
        {
            case 0:
                applied.Add("body-replaced");
                return r.Next(5) switch { 0 => null, 1 => new JsonArray(), 2 => "text", 3 => 0, _ => Deep(3000) };
            case 1 or 2 or 3 or 4 or 5:
                if (Fields(body) is { Count: > 0 } fields)
                {
                    var (parent, key) = fields[r.Next(fields.Count)];
                    parent[key] = HostileValue(r);
                    applied.Add($"field-hostile:{key}");
                }
                return body;
            case 6:
                if (body is JsonObject o && o.Count > 0)
                {
                    var key = o.ElementAt(r.Next(o.Count)).Key;
                    o.Remove(key);
                    applied.Add($"field-removed:{key}");
                }
                return body;
            case 7:
                if (body is JsonObject o2) { o2[r.Next(2) == 0 ? "unknown_field" : Surrogate] = HostileValue(r); applied.Add("field-added"); }
                return body;
            default:
                // Arrays in the body grow (more assignments, changes, grids), within what a client might send.
                foreach (var (parent, key) in Fields(body))
                    if (parent[key] is JsonArray { Count: > 0 } a && a[0] is { } first)
                    {
                        for (var i = 0; i < 2_000; i++) a.Add(first.DeepClone());
                        applied.Add($"array-grown:{key}");
                        break;
                    }
                return body;
        }
    }

    /// <summary>Every (object, key) in the body, depth first.</summary>
    static List<(JsonObject Parent, string Key)> Fields(JsonNode? node)
    {
        var list = new List<(JsonObject, string)>();
        void Walk(JsonNode? n, int depth)
        {
            if (depth > 8) return;
            if (n is JsonObject o)
                foreach (var (k, v) in o.ToList()) { list.Add((o, k)); Walk(v, depth + 1); }
            else if (n is JsonArray a)
                foreach (var v in a.Take(3)) Walk(v, depth + 1);
        }
        Walk(node, 0);
        return list;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // OSM uploads (D hardens the importer; the fuzzer sends small hostile documents)

    public static (string Body, string ContentType, string Name) Osm(Random r, FuzzPools pools)
    {
        var (lon, lat) = Centre(pools);
        var l = lon.ToString("0.0000000", CultureInfo.InvariantCulture);
        var b = lat.ToString("0.0000000", CultureInfo.InvariantCulture);
        return r.Next(10) switch
        {
            0 => ("<osm version='0.6'/>", "application/xml", "bare-osm"),
            1 => ($"<osm version='0.6'><node id='1' lat='NaN' lon='{l}'/></osm>", "application/xml", "nan-node"),
            2 => ("<osm version='0.6'><way id='1'><nd ref='5'/><nd ref='6'/><tag k='building' v='yes'/></way></osm>", "application/xml", "missing-nodes"),
            3 => ("<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><osm version='0.6'><node id='1' lat='" + b + "' lon='" + l + "'><tag k='name' v='&b;'/></node></osm>", "application/xml", "dtd"),
            4 => ($"<osm version='0.6'><node id='1' lat='{b}' lon='{l}'><tag k='amenity' v='community_centre'/><tag k='name' v='&#xD800;党群'/></node></osm>", "application/xml", "surrogate-entity"),
            5 => ("<osm version='0.6'><node", "text/xml", "truncated-xml"),
            6 => ("\u0000\u0000\u0000\u000dOSMHeader garbage", "application/x-protobuf", "garbage-pbf"),
            7 => ($"<osm version='0.6'><node id='1' lat='{b}' lon='{l}'><tag k='amenity' v='marketplace'/><tag k='name' v='a\u0001b'/></node></osm>", "application/xml", "control-char"),
            8 => ("", "application/xml", "empty"),
            _ => ("{\"type\":\"FeatureCollection\"}", "application/json", "json-as-osm"),
        };
    }
}
