using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.RateLimiting;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Coverage;
using GridMap.Server.Import;
using GridMap.Server.Features;
using GridMap.Server.Grids;
using GridMap.Server.History;
using GridMap.Server.Settings;
using GridMap.Server.Lookup;
using GridMap.Server.Partitioning;
using GridMap.Server.Problems;
using GridMap.Server.Search;
using GridMap.Server.Tiles;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.FileProviders;

namespace GridMap.Server.Hosting;

/// <summary>Wires the store, the API feature groups, OpenAPI docs and the static web map into one web application.</summary>
public static class GridMapServer
{
    public static WebApplication Build(GridMapOptions options, IFeatureStore store, string[]? args = null, IEnumerable<string>? urls = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        // appsettings.json beside the executable, wherever the server is started from.
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        options = options with
        {
            ExpensiveRequestsPerMinute = options.ExpensiveRequestsPerMinute
                ?? builder.Configuration.GetValue<int?>("GridMap:ExpensiveRequestsPerMinute") ?? GridMapOptions.DefaultExpensiveRequestsPerMinute,
        };
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddGridMapProblems(options);
        if (options.RunJobs) builder.Services.AddHostedService<PartitionJobRunner>();
        builder.Services.AddSingleton<WalkModelCache>();
        builder.Services.AddSingleton<GridMap.Server.Lookup.AreaIndexCache>();
        builder.Services.AddHostedService<StoreChangeListener>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "GridMap API";
            doc.Info.Description = "The five-level net (街道 → 社区 → 小区 → 网格 → 楼栋), service stations and the walking network, as RFC 7946 GeoJSON.";
            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            // Bodies nest no deeper than GeoJSON needs (feature bodies: 64, checked where they are parsed; deeper: 400
            // malformed_json). The same options write answers, which wrap stored properties (up to 62 levels inside a
            // feature) in a few levels of their own — a collection, a history entry's before and after —, so they get 16 more.
            o.SerializerOptions.MaxDepth = GridMap.IO.GeoJson.GeoJsonFeatures.MaxDepth + 16;
        });
        builder.Services.AddGridMapAuth(options);
        // Session cookies are sealed with data-protection keys: the embedded store keeps them beside its database, so a
        // restart does not sign everyone out. (PostGIS servers use ASP.NET Core's per-user key ring.)
        if (store is GridMap.Storage.Sqlite.SqliteStore sqlite && Path.GetDirectoryName(sqlite.Path) is { } dataDir)
            builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Antiforgery", LogLevel.Error);
        builder.Services.AddGridMapRateLimits(options);
        // The largest body of any request; each request's own limit is set by its endpoint class (RequestProblems.UseRequestLimits).
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(options.MaxUploadBytes, options.MaxJsonBytes) + 1);
        if (options.HttpsCertificate is { } cert && options.HttpsKey is { } key)
        {
            // The slim builder leaves HTTPS out until asked; the certificate is the operator's PEM pair.
            builder.WebHost.UseKestrelHttpsConfiguration();
            var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, key);
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }
        if (urls is not null) builder.WebHost.UseUrls(urls.ToArray());
        builder.AddWriteGuards(options);
        builder.Services.AddGridMapCompression();

        var app = builder.Build();
        // First, so every answer — static files, GeoJSON, tiles, problem+json from any later middleware — can be compressed
        // and carries the security headers.
        app.UseGridMapCompression();
        app.UseSecurityHeaders(options);
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusOf, ExceptionHandler = Problems.RequestProblems.HandleAsync,
            // A client's bad request is answered, not logged as a server failure.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException or GridMap.Core.Schema.InvalidFeaturesException });
        app.UseStatusCodePages();
        app.UseAllowedHosts(options, urls);
        // Behind a reverse proxy on this machine (docs/field.md): the client's address (sign-in limits) and scheme come
        // from X-Forwarded-*; only loopback proxies are trusted, ASP.NET Core's default.
        app.UseForwardedHeaders(new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
        });

        var webRoot = options.WebRoot ?? RepoPaths.WebRoot();
        if (webRoot is not null && Directory.Exists(webRoot))
        {
            // Only what the page loads: not package.json, build.mjs or node_modules/ (MapFiles).
            var files = new MapFiles(new PhysicalFileProvider(Path.GetFullPath(webRoot)));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        app.UseRouting();
        // After routing: body limits and timeouts by endpoint class.
        app.UseRequestLimits(options);
        // After routing: the guards read the endpoint's declared upload types; before auth: CORS answers preflights.
        app.UseWriteGuards(options);
        app.UseGridMapAuth();
        app.UseRateLimiter();

        app.MapOpenApi().AllowAnonymous();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "GridMap API");
            o.RoutePrefix = "docs";
            o.DocumentTitle = "GridMap API";
        });

        app.MapHealth();
        app.MapAuth();
        app.MapAccounts();
        app.MapLayers();
        app.MapLookup();
        app.MapSearch();
        app.MapOsmImport().WithRequestTimeout(RequestProblems.UploadTimeout);
        app.MapPartition().RequireRateLimiting(RateLimits.Expensive);
        app.MapCoverage().RequireRateLimiting(RateLimits.Expensive);
        app.MapGrids();
        app.MapSettings();
        app.MapFeatureHistory();
        app.MapChanges();
        app.MapMapConfig();
        app.MapTiles();
        // The first tile would pay for the JIT and protobuf-net's serializer model: pay it at start, off the request path.
        app.Lifetime.ApplicationStarted.Register(() => Task.Run(TileEncoder.WarmUp));
        return app;
    }

    static int StatusOf(Exception e) => e switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        OperationCanceledException => 499,
        _ => StatusCodes.Status500InternalServerError,
    };

    public sealed record Health(string Status, string Store);

    static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<Health>, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<Health>>> (IFeatureStore store, CancellationToken ct) =>
        {
            try
            {
                await store.CountAsync(ct);
                return TypedResults.Ok(new Health("ok", store.Kind));
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                return TypedResults.Json(new Health("unavailable", store.Kind), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).WithSummary("Liveness and store reachability");
        return group;
    }
}
