using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Codes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Schema;

/// <summary>The result of checking one incoming feature: a draft ready for the store, or problems.</summary>
public sealed record ValidatedFeature(FeatureDraft? Draft, IReadOnlyList<FeatureProblem> Problems, IReadOnlyList<FeatureProblem> Repairs)
{
    public bool IsValid => Draft is not null && Problems.Count == 0;
}

/// <summary>
/// Checks a feature against its layer's schema and the geometry rules, and normalises it:
/// area and grid ids are their codes, parent codes are derived, unknown properties are kept.
/// </summary>
public static class FeatureValidator
{
    public const int MaxIdLength = 128;

    /// <summary>
    /// Most households one building, compound or grid may hold (422 <c>out_of_range</c> above): the largest real compounds
    /// hold a few thousand; sums over a whole city stay far inside a 64-bit total.
    /// </summary>
    public const int MaxHouseholds = 100_000;

    public static ValidatedFeature Validate(Layer layer, int? index, string? id, Geometry? geometry, JsonObject? properties)
    {
        var schema = LayerSchema.For(layer);
        var problems = new List<FeatureProblem>();
        var repairs = new List<FeatureProblem>();
        void Problem(string field, string message) => problems.Add(new(index, id, field, message));

        properties ??= [];
        var clean = new JsonObject();

        foreach (var spec in schema.Properties)
        {
            var node = properties[spec.Name];
            if (node is null || node.GetValueKind() == JsonValueKind.Null)
            {
                if (spec.Required) Problem($"properties.{spec.Name}", $"is required ({spec.Description})");
                continue;
            }
            var value = Coerce(spec, node, out var error, out var code);
            if (error is not null) problems.Add(new(index, id, $"properties.{spec.Name}", error, code));
            else clean[spec.Name] = value;
        }
        foreach (var (name, node) in properties)
        {
            if (schema.Find(name) is not null || name == "id") continue;
            clean[name] = node?.DeepClone();
        }
        // Text both stores can keep alike (no NUL, no lone surrogate), of bounded length: checked here, before any store.
        if (TextRules.FirstProblem(clean) is var (textField, textMessage, textCode))
            problems.Add(new(index, id, textField, textMessage, textCode));

        DeriveParents(layer, clean);
        if (layer.IsArea() || layer == Layer.Grids)
        {
            var code = Text(clean["code"]);
            if (code is not null && id is not null && id != code)
                Problem("id", $"must equal the code '{code}' for {layer.Key()} (or be left out)");
            id ??= code;
        }

        if (id is not null)
        {
            if (TextRules.Problem(id) is { } badId) problems.Add(new(index, null, "id", badId, TextRules.InvalidText));
            else if (id.Length is 0 or > MaxIdLength || id.Any(char.IsControl) || id.Contains('/'))
                Problem("id", $"must be 1–{MaxIdLength} characters without '/' or control characters");
        }

        Geometry? stored = null;
        if (geometry is null) Problem("geometry", $"is required: one of {string.Join(", ", schema.GeometryTypes)}");
        else if (!schema.GeometryTypes.Contains(geometry.GeometryType))
            Problem("geometry", $"{geometry.GeometryType} is not allowed in {layer.Key()}: expected {string.Join(" or ", schema.GeometryTypes)}");
        else
        {
            var check = GeometryRules.Check(geometry);
            if (check.Outcome == GeometryOutcome.Rejected) problems.Add(new(index, id, "geometry", check.Message!, check.Code));
            else
            {
                stored = check.Geometry;
                if (check.Outcome == GeometryOutcome.Repaired) repairs.Add(new(index, id, "geometry", check.Message!));
            }
        }

        if (problems.Count > 0 || stored is null) return new(null, problems, repairs);
        return new(new FeatureDraft(id ?? NewId(layer), stored, clean), problems, repairs);
    }

    /// <summary>A property's text; null when absent or not a string (a number where a code was expected is no code).</summary>
    static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static string NewId(Layer layer) => $"{layer.Key()[..1]}{Guid.NewGuid():N}"[..13];

    static void DeriveParents(Layer layer, JsonObject p)
    {
        var code = Text(p["code"]);
        if (code is null) return;
        if (layer == Layer.Streets && p["district_code"] is null && GridCode.IsStreetCode(code)) p["district_code"] = code[..6];
        if (layer == Layer.Communities && p["street_code"] is null && GridCode.IsCommunityCode(code)) p["street_code"] = code[..9];
    }

    /// <summary>One property checked and normalised as the layer's validation does it; <paramref name="error"/> says what is wrong.</summary>
    public static JsonNode? CoerceProperty(PropertySpec spec, JsonNode node, out string? error) => Coerce(spec, node, out error, out _);

    /// <param name="code">The rule's code when the value is readable but breaks a rule (422), else null.</param>
    static JsonNode? Coerce(PropertySpec spec, JsonNode node, out string? error, out string? code)
    {
        error = null;
        code = null;
        var kind = node.GetValueKind();
        switch (spec.Type)
        {
            case PropertyType.Text:
            case PropertyType.Key:
                string text;
                if (kind == JsonValueKind.String) text = node.GetValue<string>();
                else if (kind == JsonValueKind.Number && spec.Type == PropertyType.Text) text = node.ToJsonString();
                else { error = $"must be a string, not {Describe(kind)}"; return null; }
                if (TextRules.Problem(text) is { } badText) { error = badText; code = TextRules.InvalidText; return null; }
                if (spec.Allowed is { } allowed && !allowed.Contains(text))
                {
                    error = $"'{text}' is not allowed: use one of {string.Join(", ", allowed)}";
                    return null;
                }
                if (spec.Check?.Invoke(text) is { } message) { error = $"'{text}' {message}"; return null; }
                if (text.Length > TextRules.MaxValueLength) { error = $"is longer than {TextRules.MaxValueLength:N0} characters"; code = "too_long"; return null; }
                return JsonValue.Create(text);

            case PropertyType.Integer:
                if (kind != JsonValueKind.Number) { error = $"must be a whole number, not {Describe(kind)}"; return null; }
                var d = JsonNumber.ToDouble(node)!.Value;
                if (d != Math.Floor(d) || double.IsInfinity(d)) { error = $"must be a whole number, not {node.ToJsonString()}"; return null; }
                if (d < 0) { error = $"must not be negative (got {node.ToJsonString()})"; return null; }
                if (d > int.MaxValue) { error = $"{node.ToJsonString()} is too large"; return null; }
                if (spec.Name == "households" && d > MaxHouseholds) { error = $"{node.ToJsonString()} is more than {MaxHouseholds:N0} households"; code = "out_of_range"; return null; }
                return JsonValue.Create((int)d);

            case PropertyType.Number:
                if (kind != JsonValueKind.Number) { error = $"must be a number, not {Describe(kind)}"; return null; }
                return JsonValue.Create(JsonNumber.ToDouble(node)!.Value);

            case PropertyType.Boolean:
                if (kind is not (JsonValueKind.True or JsonValueKind.False)) { error = $"must be true or false, not {Describe(kind)}"; return null; }
                return JsonValue.Create(kind == JsonValueKind.True);

            case PropertyType.TextList:
                if (node is not JsonArray list) { error = $"must be an array of strings, not {Describe(kind)}"; return null; }
                var texts = new JsonArray();
                foreach (var item in list)
                {
                    if (item?.GetValueKind() is JsonValueKind.String or JsonValueKind.Number) texts.Add(JsonValue.Create(item.ToString()));
                    else { error = "must be an array of strings"; return null; }
                }
                return texts;

            case PropertyType.Positions:
                if (node is not JsonArray positions) { error = $"must be an array of [lon, lat] positions, not {Describe(kind)}"; return null; }
                if (positions.Count > 100) { error = "holds more than 100 positions"; return null; }
                var rounded = new JsonArray();
                for (var i = 0; i < positions.Count; i++)
                {
                    if (positions[i] is not JsonArray { Count: 2 } pair || JsonNumber.ToDouble(pair[0]) is not { } lon || JsonNumber.ToDouble(pair[1]) is not { } lat)
                    { error = $"[{i}] must be a [lon, lat] pair of numbers"; return null; }
                    if (lon is < -180 or > 180 || lat is < -90 or > 90) { error = $"[{i}] is outside lon -180..180, lat -90..90"; return null; }
                    rounded.Add(new JsonArray(Math.Round(lon, 7), Math.Round(lat, 7)));
                }
                return rounded;

            case PropertyType.People:
            case PropertyType.Units:
                if (node is not JsonArray array) { error = $"must be an array of objects, not {Describe(kind)}"; return null; }
                var result = new JsonArray();
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonObject item) { error = $"[{i}] must be an object"; return null; }
                    if (spec.Type == PropertyType.People)
                    {
                        if (item["name"]?.GetValueKind() != JsonValueKind.String) { error = $"[{i}].name must be a string"; return null; }
                        if (item["phone"] is { } phone && phone.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null)) { error = $"[{i}].phone must be a string"; return null; }
                        // The worker's GridMap account, when they have one: it gives the account this grid (docs/security.md).
                        if (item["account"] is { } account && account.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null)) { error = $"[{i}].account must be an account name"; return null; }
                    }
                    else
                    {
                        if (item["id"]?.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number)) { error = $"[{i}].id must be a string"; return null; }
                        var h = item["households"];
                        if (h?.GetValueKind() != JsonValueKind.Number || JsonNumber.ToDouble(h) is not { } hv || hv < 0 || hv != Math.Floor(hv) || hv > MaxHouseholds)
                        { error = $"[{i}].households must be a whole number from 0 to {MaxHouseholds:N0}"; code = h?.GetValueKind() == JsonValueKind.Number && JsonNumber.ToDouble(h) > MaxHouseholds ? "out_of_range" : null; return null; }
                    }
                    result.Add(item.DeepClone());
                }
                return result;
        }
        error = "unsupported";
        return null;
    }

    static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
