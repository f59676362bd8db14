using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Settings;

/// <summary>Store settings: the band (min, max, target households per basic grid), for the store or one community.</summary>
public static class SettingsApi
{
    public sealed record BandView(int Min, int Max, int Target, string? Community, long Version);

    public sealed record BandBody(int? Min, int? Max, int? Target);

    public static RouteGroupBuilder MapSettings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/settings").WithTags("Settings");
        group.MapGet("/band", async (string? community, IFeatureStore store, HttpContext http, CancellationToken ct) =>
        {
            var band = await BandSetting.ReadAsync(store, ct);
            var b = band.For(community);
            http.Response.Headers.ETag = $"\"{band.Version}\"";
            return TypedResults.Ok(new BandView(b.Min, b.Max, b.Target, community is not null && band.Communities.ContainsKey(community) ? community : null, band.Version));
        }).WithSummary("The band in force (for a community when given); ETag = the setting's version (0 = never set)");
        group.MapPut("/band", PutAsync).WithSummary("Set the band for the store or, with ?community=, for one community; If-Match with the version read");
        return group;
    }

    static async Task<Results<Ok<BandView>, ProblemHttpResult>> PutAsync(string? community, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        // The store's band holds everywhere: the admin's. A community's own band: its planner's too.
        var caller = Caller.Of(http);
        if (community is not null && (community.Length == 0 || community.Length > 64 || !community.All(char.IsAsciiLetterOrDigit)))
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "bad_parameter", "Bad parameter",
                [new ProblemError("bad_parameter", "community", "must be a community's code (letters and digits, e.g. 520304001001)")]);
        if ((community is null ? Access.Role(caller, "the store's band", Roles.Admin)
                : Access.Role(caller, "a community's band", Roles.Admin, Roles.Planner) ?? Access.Code(caller, community, "community")) is { } refused)
            return refused;
        var header = http.Request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0)
            return CodedProblem.Of(StatusCodes.Status428PreconditionRequired, "missing_version", "Name the version you read",
                [new ProblemError("missing_version", "If-Match", "send If-Match with the band's version (GET /api/settings/band)")]);
        if (!long.TryParse(header.Trim('"').Replace("W/", "").Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "invalid", "Bad If-Match", [new ProblemError("invalid", "If-Match", "must be the version number, e.g. \"3\"")]);
        BandBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<BandBody>(http.Request.Body,
                new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow }, ct);
        }
        catch (JsonException e)
        {
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "malformed", "The band cannot be read", [new ProblemError("malformed", e.Path ?? "", e.Message)]);
        }
        if (body?.Min is not { } min || body.Max is not { } max)
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "invalid", "The band needs min and max", [new ProblemError("invalid", body?.Min is null ? "/min" : "/max", "is required")]);
        var target = body.Target ?? (min + max) / 2;
        if (min < 1 || max < min || target < min || target > max || max > 100_000)
            return CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, "out_of_range", "The band is not a band",
                [new ProblemError("out_of_range", "/min", "must satisfy 1 ≤ min ≤ target ≤ max ≤ 100000", new Dictionary<string, object?> { ["min"] = min, ["max"] = max, ["target"] = target })]);

        var band = await BandSetting.ReadAsync(store, ct);
        var value = band.ToJson();
        if (community is null) { value["min"] = min; value["max"] = max; value["target"] = target; }
        else value["communities"]![community] = new JsonObject { ["min"] = min, ["max"] = max, ["target"] = target };
        try
        {
            var version = await store.PutSettingAsync(BandSetting.Key, value, expected, History.RequestChange.For(http, ChangeKinds.Settings, community is null ? "band" : $"band of {community}"), ct);
            http.Response.Headers.ETag = $"\"{version}\"";
            return TypedResults.Ok(new BandView(min, max, target, community, version));
        }
        catch (VersionConflictException e)
        {
            return CodedProblem.Of(StatusCodes.Status412PreconditionFailed, "stale_version", "Someone else changed the band",
                [new ProblemError("stale_version", "If-Match", $"the band is at version {e.Current}, not {e.Expected}", new Dictionary<string, object?> { ["expected"] = e.Expected, ["current"] = e.Current })]);
        }
    }
}
