using System.Text.Json;
using GridMap.Core.Editing;

namespace GridMap.Server.Grids;

/// <summary>One operation of an edit session: an assign (moves) or a rebalance (grids, neighbours).</summary>
public sealed record EditOperation(string Kind, string Pointer, IReadOnlyList<Move> Moves, IReadOnlyList<string> Grids, bool Neighbours);

public sealed class EditRequestException(string code, string pointer, string message) : Exception(message)
{
    public string Code { get; } = code;
    public string Pointer { get; } = pointer;
}

/// <summary>
/// An assign or rebalance body, read strictly (unknown members and wrong types are 400 with a JSON pointer):
/// the session's unsaved <c>base</c> operations first, then this one.
/// </summary>
public sealed record EditRequest(IReadOnlyList<EditOperation> Operations, IReadOnlyDictionary<string, long> Versions, bool DryRun)
{
    public const int MaxOperations = 500;
    public const int MaxAssignments = 20_000;

    public IReadOnlyCollection<string> BuildingIds() => Operations.SelectMany(o => o.Moves.Select(m => m.Building)).ToHashSet();

    public IReadOnlyCollection<string> GridCodes() => Operations.SelectMany(o => o.Moves.Select(m => m.Grid).OfType<string>().Concat(o.Grids))
        .Concat(Versions.Keys).ToHashSet();

    public static EditRequest Parse(byte[] body, string kind)
    {
        try
        {
            return ParseDocument(body, kind);
        }
        catch (InvalidOperationException)
        {
            // JsonDocument reads a lone UTF-16 surrogate escape ("\ud800") but cannot turn it into a string: a name or
            // value that is not Unicode text is bad input, not a server error.
            throw new EditRequestException("invalid", "", "the body holds a string that is not valid Unicode (a lone surrogate such as \\ud800)");
        }
    }

    static EditRequest ParseDocument(byte[] body, string kind)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new EditRequestException("malformed", "", $"malformed JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new EditRequestException("invalid", "", "the body must be a JSON object");
            var operations = new List<EditOperation>();
            var versions = new Dictionary<string, long>(StringComparer.Ordinal);
            var dryRun = false;
            var assignments = 0;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "base":
                        if (p.Value.ValueKind != JsonValueKind.Array) throw new EditRequestException("invalid", "/base", "must be an array of operations");
                        var i = 0;
                        foreach (var item in p.Value.EnumerateArray())
                        {
                            if (operations.Count >= MaxOperations) throw new EditRequestException("too_many", "/base", $"at most {MaxOperations} operations");
                            if (item.ValueKind != JsonValueKind.Object) throw new EditRequestException("invalid", $"/base/{i}", "must be an object");
                            var baseKind = item.TryGetProperty("assignments", out _) ? "assign" : item.TryGetProperty("grids", out _) ? "rebalance"
                                : throw new EditRequestException("invalid", $"/base/{i}", "must be an assign ({\"assignments\": […]}) or a rebalance ({\"grids\": […]})");
                            operations.Add(ReadOperation(item, baseKind, $"/base/{i}", ref assignments, allowed: ["op", "assignments", "grids", "neighbours"]));
                            i++;
                        }
                        break;
                    case "versions":
                        if (p.Value.ValueKind != JsonValueKind.Object) throw new EditRequestException("invalid", "/versions", "must be an object of grid code → version");
                        foreach (var v in p.Value.EnumerateObject())
                        {
                            if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt64(out var n) || n < 0)
                                throw new EditRequestException("invalid", $"/versions/{v.Name}", "must be a whole version number");
                            versions[v.Name] = n;
                        }
                        break;
                    case "dry_run":
                        if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new EditRequestException("invalid", "/dry_run", "must be true or false");
                        dryRun = p.Value.GetBoolean();
                        break;
                    case "assignments" or "grids" or "neighbours":
                        break;
                    default:
                        throw new EditRequestException("unknown_field", $"/{p.Name}", $"unknown member '{p.Name}'");
                }
            }
            var own = ReadOperation(root, kind, "", ref assignments, allowed: null);
            if (own.Moves.Count > 0 || own.Grids.Count > 0) operations.Add(own);
            else if (kind == "rebalance" && operations.Count == 0) throw new EditRequestException("invalid", "/grids", "name at least one grid");
            if (operations.Count == 0) throw new EditRequestException("invalid", "/assignments", "name at least one assignment (or base operations)");
            return new EditRequest(operations, versions, dryRun);
        }
    }

    static EditOperation ReadOperation(JsonElement o, string kind, string at, ref int assignments, string[]? allowed)
    {
        if (allowed is not null)
            foreach (var p in o.EnumerateObject())
                if (!allowed.Contains(p.Name)) throw new EditRequestException("unknown_field", $"{at}/{p.Name}", $"unknown member '{p.Name}'");
        var moves = new List<Move>();
        var grids = new List<string>();
        var neighbours = false;
        if (kind == "assign")
        {
            if (o.TryGetProperty("assignments", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array) throw new EditRequestException("invalid", $"{at}/assignments", "must be an array");
                var i = 0;
                foreach (var a in list.EnumerateArray())
                {
                    var here = $"{at}/assignments/{i}";
                    if (++assignments > MaxAssignments) throw new EditRequestException("too_many", here, $"at most {MaxAssignments} assignments");
                    if (a.ValueKind != JsonValueKind.Object) throw new EditRequestException("invalid", here, "must be {\"building\": id, \"grid\": code | null}");
                    string? building = null, grid = null, unit = null, remainder = null;
                    var hasGrid = false;
                    foreach (var p in a.EnumerateObject())
                    {
                        var text = p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? p.Value.ToString() : null;
                        if (p.Name == "building" && text is not null) building = text;
                        else if (p.Name == "unit" && text is not null) unit = text;
                        else if (p.Name == "remainder" && text is not null) remainder = text;
                        else if (p.Name == "grid" && p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null) { grid = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString(); hasGrid = true; }
                        else throw new EditRequestException(p.Name is "building" or "grid" or "unit" or "remainder" ? "invalid" : "unknown_field", $"{here}/{p.Name}",
                            p.Name switch
                            {
                                "building" => "must be a building id",
                                "grid" => "must be a grid code or null",
                                "unit" => "must be a unit (stairwell) id of the building",
                                "remainder" => "must be the id of a compound (its remainder unit moves)",
                                _ => $"unknown member '{p.Name}'",
                            });
                    }
                    // A compound's remainder unit is a building of its own: {"remainder": compound id} names it.
                    if (remainder is not null && building is not null)
                        throw new EditRequestException("invalid", $"{here}/remainder", "name a building or a compound's remainder, not both");
                    if (remainder is { Length: > 0 }) building = GridMap.Core.Estimation.HouseholdEstimator.RemainderId(remainder);
                    if (building is null or "") throw new EditRequestException("invalid", $"{here}/building", "is required (or remainder: a compound id)");
                    if (unit is "") throw new EditRequestException("invalid", $"{here}/unit", "must be a unit (stairwell) id of the building");
                    if (!hasGrid) throw new EditRequestException("invalid", $"{here}/grid", "is required (a grid code, or null for a new grid)");
                    moves.Add(new Move(building, grid, unit));
                    i++;
                }
            }
        }
        else
        {
            if (o.TryGetProperty("grids", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array) throw new EditRequestException("invalid", $"{at}/grids", "must be an array of grid codes");
                var i = 0;
                foreach (var g in list.EnumerateArray())
                {
                    if (g.ValueKind != JsonValueKind.String || g.GetString() is not { Length: > 0 } code) throw new EditRequestException("invalid", $"{at}/grids/{i}", "must be a grid code");
                    grids.Add(code);
                    i++;
                }
            }
            if (o.TryGetProperty("neighbours", out var n))
            {
                if (n.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new EditRequestException("invalid", $"{at}/neighbours", "must be true or false");
                neighbours = n.GetBoolean();
            }
        }
        return new EditOperation(kind, at, moves, grids, neighbours);
    }
}
