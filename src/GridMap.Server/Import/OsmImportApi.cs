using System.Threading.RateLimiting;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.IO.Osm;
using GridMap.Server.History;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Import;

/// <summary>
/// Upload an OpenStreetMap extract (.osm or .osm.pbf): buildings, compounds, walking network and stations, in one transaction.
/// Bounded (docs/security.md, "OSM uploads"): bytes, elements, each PBF blob and block (<see cref="OsmLimits"/>), and how
/// many run at once (<see cref="GridMapOptions.OsmImportsAtOnce"/>, 429 beyond). An extract that brings nothing for a layer
/// leaves that layer as stored, also with mode=replace; one that brings nothing at all is refused (docs/import.md).
/// </summary>
public static class OsmImportApi
{
    /// <param name="Kept">Layers the extract brought nothing for: left as stored (a replace replaces only the layers it brings).</param>
    public sealed record OsmImportResponse(IReadOnlyDictionary<string, int> Written, IReadOnlyList<string> Warnings, IReadOnlyList<string> Kept);

    /// <summary>Seconds a client told 429 waits: an OSM import of a city takes seconds to a minute.</summary>
    const int RetryAfterSeconds = 30;

    public static RouteGroupBuilder MapOsmImport(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/import").WithTags("Import");
        // Each import holds its extract, every node and way of it, and the features it makes: a few at once at most.
        var options = app.ServiceProvider.GetRequiredService<GridMapOptions>();
        var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = Math.Max(1, options.OsmImportsAtOnce), QueueLimit = 0 });
        // An extract writes every layer over its whole box: layer-wide, the admin's alone.
        group.MapPost("/osm", (string? format, string? mode, HttpContext http, IFeatureStore store, GridMapOptions o, CancellationToken ct) =>
                ImportAsync(format, mode, http, store, o, limiter, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .Accepts<Stream>(false, "application/octet-stream", "application/x-protobuf", "application/xml", "text/xml")
            .WithSummary("Import an OSM extract; format=pbf (default) or osm (XML); mode=upsert (default) or replace (replaces only the layers the extract brings)");
        return group;
    }

    static async Task<Results<Ok<OsmImportResponse>, ProblemHttpResult>> ImportAsync(
        string? format, string? mode, HttpContext http, IFeatureStore store, GridMapOptions options, ConcurrencyLimiter limiter, CancellationToken ct)
    {
        var extension = format switch { null or "pbf" => ".osm.pbf", "osm" or "xml" => ".osm", _ => null };
        if (extension is null) return Problem.BadParameter("format", "must be pbf or osm");
        var importMode = mode switch { null or "upsert" => ImportMode.Upsert, "replace" => ImportMode.ReplaceLayers, _ => (ImportMode?)null };
        if (importMode is null) return Problem.BadParameter("mode", "must be upsert or replace");
        // Taken before the body is read, so uploads waiting their turn hold no memory.
        using var lease = limiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return CodedProblem.Of(StatusCodes.Status429TooManyRequests, "rate_limited", "Another OSM import is running",
                [new ProblemError("rate_limited", "/", $"at most {options.OsmImportsAtOnce} OSM import(s) run at once: try again in {RetryAfterSeconds} s",
                    new Dictionary<string, object?> { ["limit"] = options.OsmImportsAtOnce, ["retry_after"] = RetryAfterSeconds })]);
        }

        var limits = options.OsmLimits;
        var maxBytes = Math.Min(options.MaxUploadBytes, limits.MaxBytes);
        var path = Path.Combine(Path.GetTempPath(), $"gridmap-upload-{Guid.NewGuid():N}{extension}");
        try
        {
            if (await SaveAtMostAsync(http.Request, path, maxBytes, ct) is { } tooLarge) return tooLarge;
            OsmImport read;
            try
            {
                read = OsmImporter.Read(path, options.Estimation, limits with { MaxBytes = maxBytes });
            }
            catch (OsmRefusedException e)
            {
                return Refused(e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var message = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
                return CodedProblem.Of(StatusCodes.Status400BadRequest, "bad_osm", "Not an OSM extract",
                    [new ProblemError("bad_osm", "body", $"could not read it as {(extension == ".osm" ? "OSM XML" : "OSM PBF")}: {message}")]);
            }
            if (read.NothingImportable) return NothingImportable(read);
            var prepared = await LayerImport.PrepareAsync(store, read.Importable, importMode.Value, options.Estimation, ct);
            var summary = await LayerImport.WriteAsync(store, prepared, importMode.Value, RequestChange.For(http, ChangeKinds.Import, $"OSM extract ({mode ?? "upsert"})"), ct: ct);
            return TypedResults.Ok(new OsmImportResponse(summary.Written.ToDictionary(kv => kv.Key.Key(), kv => kv.Value), read.Warnings,
                read.Empty.Select(l => l.Key()).ToList()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Streams the body to a file, refusing it (413) past the limit: an upload is never held in memory whole.</summary>
    static async Task<ProblemHttpResult?> SaveAtMostAsync(HttpRequest request, string path, long limit, CancellationToken ct)
    {
        if (request.ContentLength is { } declared && declared > limit) return TooLarge(limit, declared);
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
            if (total > limit) return TooLarge(limit, null);
            await file.WriteAsync(buffer.AsMemory(0, n), ct);
        }
        return null;
    }

    static ProblemHttpResult TooLarge(long limit, long? found) =>
        Refused(OsmRefusedException.Limit("bytes", limit, $"the upload is larger than {limit:N0} bytes, the limit for an OSM extract", found));

    /// <summary>413 for a limit passed, 422 for a rule broken; the error names the limit (or rule) and what was found.</summary>
    public static ProblemHttpResult Refused(OsmRefusedException e) =>
        CodedProblem.Of(e.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status422UnprocessableEntity, e.Code,
            e.TooLarge ? "OSM extract too large" : "OSM extract refused", [new ProblemError(e.Code, "body", e.Message, e.Parameters)],
            e.Parameters.TryGetValue("limit", out var limit) ? new Dictionary<string, object?> { ["limit"] = limit } : null);

    /// <summary>422 nothing_importable: what the file held, and the first reasons its elements gave nothing.</summary>
    public static ProblemHttpResult NothingImportable(OsmImport read) =>
        CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, "nothing_importable", "Nothing to import",
            [new ProblemError("nothing_importable", "body", read.DescribeNothingImportable(), new Dictionary<string, object?>
            {
                ["nodes"] = read.Elements.Nodes, ["ways"] = read.Elements.Ways, ["relations"] = read.Elements.Relations,
            })],
            new Dictionary<string, object?> { ["warnings"] = read.Warnings });
}
