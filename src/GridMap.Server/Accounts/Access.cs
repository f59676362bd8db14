using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Server.Accounts;

/// <summary>
/// Who may write what, in one place (docs/security.md): the role a layer or operation needs, and whether a feature lies in
/// the caller's scope. Each check returns null when allowed, else the 401/403 problem to answer with.
/// </summary>
public static class Access
{
    /// <summary>The roles that write each layer (within their scope); layer-wide writes are the admin's alone.</summary>
    public static IReadOnlyList<string> WritersOf(Layer layer) => layer switch
    {
        Layer.Stations => [Roles.Admin, Roles.Organisation],
        Layer.Network => [Roles.Admin],
        _ => [Roles.Admin, Roles.Planner],
    };

    public static ProblemHttpResult NotSignedIn() => CodedProblem.Of(StatusCodes.Status401Unauthorized, "not_signed_in", "Sign in first",
        [new ProblemError("not_signed_in", "/", "this needs a signed-in account: sign in, or send Authorization: Bearer <token>")]);

    public static ProblemHttpResult Forbidden(string code, string pointer, string message, IReadOnlyDictionary<string, object?>? parameters = null) =>
        CodedProblem.Of(StatusCodes.Status403Forbidden, code, "Not allowed", [new ProblemError(code, pointer, message, parameters)]);

    /// <summary>Signed in with one of <paramref name="roles"/>.</summary>
    public static ProblemHttpResult? Role(Caller caller, string what, params string[] roles) =>
        !caller.SignedIn ? NotSignedIn()
        : caller.Is(roles) ? null
        : Forbidden("role", "/", $"{what} needs the role {string.Join(" or ", roles)}; {caller.Name} is {caller.Role}",
            new Dictionary<string, object?> { ["roles"] = roles, ["role"] = caller.Role });

    public static ProblemHttpResult? WriteLayer(Caller caller, Layer layer) => Role(caller, $"writing {layer.Key()}", [.. WritersOf(layer)]);

    /// <summary>A code (division, grid or job scope) outside the caller's scope: 403 out_of_scope.</summary>
    public static ProblemHttpResult? Code(Caller caller, string? code, string pointer) =>
        caller.Covers(code) ? null : OutOfScope(caller, code, pointer);

    public static ProblemHttpResult OutOfScope(Caller caller, string? code, string pointer) =>
        Forbidden("out_of_scope", pointer, $"{code ?? "a feature outside every community"} is outside {caller.Name}'s scope {caller.Scope}",
            new Dictionary<string, object?> { ["code"] = code, ["scope"] = caller.Scope });

    /// <summary>The fields a household correction may change; the server sets the last two.</summary>
    static readonly string[] HouseholdFields = ["households", "households_estimated", "households_rule"];

    /// <summary>
    /// A grid worker's write to a building: allowed only as a household correction (nothing else changes), on a building
    /// in one of their grids, when their account may correct households.
    /// </summary>
    public static ProblemHttpResult? WorkerHouseholds(Caller caller, StoredFeature current, FeatureDraft next)
    {
        if (!caller.CanEditHouseholds)
            return Forbidden("role", "/", $"{caller.Name} may read but not correct households (the admin allows it with can_edit_households)");
        var grids = (current.Properties["grid_codes"] as JsonArray)?.Select(n => n?.ToString()).OfType<string>().ToList() ?? [];
        if (current.Text("grid_code") is { } code) grids.Add(code);
        if (!grids.Any(caller.Grids.Contains))
            return Forbidden("out_of_scope", "/", $"{current.Id} is not in {caller.Name}'s grids ({string.Join(", ", caller.Grids)})",
                new Dictionary<string, object?> { ["grids"] = caller.Grids.ToList() });
        var before = (JsonObject)current.Properties.DeepClone();
        var after = (JsonObject)next.Properties.DeepClone();
        foreach (var f in HouseholdFields) { before.Remove(f); after.Remove(f); }
        var changed = before.Select(kv => kv.Key).Union(after.Select(kv => kv.Key))
            .Where(k => !JsonNode.DeepEquals(before[k], after[k])).ToList();
        if (!next.Geometry.EqualsExact(current.Geometry, 1e-9)) changed.Insert(0, "geometry");
        return changed.Count == 0 ? null
            : Forbidden("role", changed[0] == "geometry" ? "/geometry" : $"/properties/{changed[0]}",
                $"a grid worker corrects households only; {string.Join(", ", changed)} would change",
                new Dictionary<string, object?> { ["fields"] = changed });
    }

    /// <summary>One feature to check: as read before a write, or as it will be written.</summary>
    public sealed record Scoped(Layer Layer, Geometry Geometry, JsonObject Properties, string Pointer);

    /// <summary>
    /// Every feature inside the caller's scope. A feature is judged by its own code (areas, grids), else its
    /// <c>community_code</c>, else the community that contains its point (none: out of every scope but the whole).
    /// </summary>
    public static async Task<ProblemHttpResult?> FeaturesAsync(IFeatureStore store, Caller caller, IEnumerable<Scoped> features, CancellationToken ct)
    {
        if (caller.Scope is null || caller.Is(Roles.Admin)) return null;
        Communities? communities = null;
        foreach (var f in features)
        {
            var code = OwnCode(f.Layer, f.Properties);
            if (code is null)
            {
                communities ??= await Communities.LoadAsync(store, ct);
                code = communities.CodeAt(f.Geometry);
            }
            if (Code(caller, code, f.Pointer) is { } refused) return refused;
        }
        return null;
    }

    public static Task<ProblemHttpResult?> FeatureAsync(IFeatureStore store, Caller caller, Layer layer, Geometry geometry, JsonObject properties,
        string pointer, CancellationToken ct) => FeaturesAsync(store, caller, [new Scoped(layer, geometry, properties, pointer)], ct);

    static string? OwnCode(Layer layer, JsonObject p) =>
        (layer.IsArea() || layer == Layer.Grids) && Text(p, "code") is { } code ? code : Text(p, "community_code");

    /// <summary>The communities, read once per request, to place features that carry no code.</summary>
    sealed class Communities
    {
        readonly STRtree<(IPreparedGeometry Shape, string Code)> _tree = new();

        public static async Task<Communities> LoadAsync(IFeatureStore store, CancellationToken ct)
        {
            var index = new Communities();
            foreach (var c in await GridMap.Server.Hosting.StoreReads.AllAsync(store, Layer.Communities, null, ct))
                index._tree.Insert(c.Geometry.EnvelopeInternal, (PreparedGeometryFactory.Prepare(c.Geometry), c.Text("code") ?? c.Id));
            index._tree.Build();
            return index;
        }

        public string? CodeAt(Geometry geometry)
        {
            if (geometry.IsEmpty) return null;
            var point = geometry as Point ?? geometry.InteriorPoint;
            return _tree.Query(point.EnvelopeInternal).Where(c => c.Shape.Covers(point)).Select(c => c.Code).Order(StringComparer.Ordinal).FirstOrDefault();
        }
    }

    static string? Text(JsonObject p, string name) => p[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}
