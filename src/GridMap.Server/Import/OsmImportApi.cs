using GridMap.Core.Store;
using GridMap.IO.Osm;
using GridMap.Server.History;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Import;

/// <summary>Upload an OpenStreetMap extract (.osm or .osm.pbf): buildings, compounds, walking network and stations, in one transaction.</summary>
public static class OsmImportApi
{
    public sealed record OsmImportResponse(IReadOnlyDictionary<string, int> Written, IReadOnlyList<string> Warnings);

    public static RouteGroupBuilder MapOsmImport(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/import").WithTags("Import");
        // An extract writes every layer over its whole box: layer-wide, the admin's alone.
        group.MapPost("/osm", ImportAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .Accepts<Stream>(false, "application/octet-stream", "application/x-protobuf", "application/xml", "text/xml")
            .WithSummary("Import an OSM extract; format=pbf (default) or osm (XML); mode=upsert (default) or replace");
        return group;
    }

    static async Task<Results<Ok<OsmImportResponse>, ProblemHttpResult>> ImportAsync(
        string? format, string? mode, HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct)
    {
        var extension = format switch { null or "pbf" => ".osm.pbf", "osm" or "xml" => ".osm", _ => null };
        if (extension is null) return Problem.BadParameter("format", "must be pbf or osm");
        var importMode = mode switch { null or "upsert" => ImportMode.Upsert, "replace" => ImportMode.ReplaceLayers, _ => (ImportMode?)null };
        if (importMode is null) return Problem.BadParameter("mode", "must be upsert or replace");
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, options.MaxUploadBytes, ct);
        if (tooLarge is not null) return tooLarge;

        var path = Path.Combine(Path.GetTempPath(), $"gridmap-upload-{Guid.NewGuid():N}{extension}");
        try
        {
            await File.WriteAllBytesAsync(path, body!, ct);
            OsmImport read;
            try
            {
                read = OsmImporter.Read(path, options.Estimation);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Problem.Of(StatusCodes.Status400BadRequest, "bad-osm", "Not an OSM extract",
                    $"body: could not read it as {(extension == ".osm" ? "OSM XML" : "OSM PBF")}: {e.Message}",
                    new Dictionary<string, object?> { ["errors"] = new[] { new { pointer = "body", field = "body", message = e.Message } } });
            }
            var prepared = await LayerImport.PrepareAsync(store, read.Batches, importMode.Value, options.Estimation, ct);
            var summary = await LayerImport.WriteAsync(store, prepared, importMode.Value, RequestChange.For(http, ChangeKinds.Import, $"OSM extract ({mode ?? "upsert"})"), ct: ct);
            return TypedResults.Ok(new OsmImportResponse(summary.Written.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value), read.Warnings));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
