using GridMap.Core.Estimation;

namespace GridMap.Server.Hosting;

/// <summary>How the server runs: which store, where the web map is, how large uploads may be.</summary>
public sealed record GridMapOptions
{
    /// <summary>Data directory of the embedded store (default ./data).</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>PostGIS connection string; when set the embedded store is not used.</summary>
    public string? Postgres { get; init; }

    /// <summary>Folder of the static web map (index.html); found next to the repository when not given.</summary>
    public string? WebRoot { get; init; }

    /// <summary>Seed a new embedded store with the sample city.</summary>
    public bool SeedSample { get; init; } = true;

    /// <summary>Largest single-feature body (POST/PUT of one feature): 413 too_large beyond.</summary>
    public long MaxFeatureBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Largest upload (GeoJSON layer import, OSM upload; <c>--max-upload-mb</c>): a 64 MiB GeoJSON holds a city's
    /// buildings; reading one costs 8–17× its size in memory. 413 too_large beyond.
    /// </summary>
    public long MaxUploadBytes { get; init; } = 64L << 20;

    /// <summary>Largest body of every other API request (assign, what-if, siting, accounts, …): 413 too_large beyond.</summary>
    public long MaxJsonBytes { get; init; } = 64L << 20;

    /// <summary>Most features one layer import may hold (422 too_many_features beyond).</summary>
    public int MaxImportFeatures { get; init; } = 500_000;

    /// <summary>How long a request may run before it is cancelled (503 timeout); uploads have <see cref="UploadTimeout"/>.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan UploadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How large an OSM extract may be and make the reader grow (docs/security.md, "OSM uploads").</summary>
    public GridMap.IO.Osm.OsmLimits OsmLimits { get; init; } = new();

    /// <summary>OSM imports that may run at once; one more is 429 with Retry-After.</summary>
    public int OsmImportsAtOnce { get; init; } = 1;

    public int MaxPageSize { get; init; } = 10_000;

    public EstimationOptions Estimation { get; init; } = new();

    /// <summary>Run queued jobs (partitioning) in this process; every replica may, since jobs are claimed in the store.</summary>
    public bool RunJobs { get; init; } = true;

    /// <summary>
    /// Anonymous visitors may read everything except personal data (`--open`); without it every request but static
    /// files, sign-in and /api/health needs an account.
    /// </summary>
    public bool Open { get; init; }

    /// <summary>Sign-in attempts allowed per client address per minute (429 beyond).</summary>
    public int SignInsPerMinute { get; init; } = 20;

    /// <summary>
    /// Partition jobs started or accepted, coverage, siting and what-if requests allowed per account (per client address
    /// when anonymous) per minute (<c>--rate-limit</c>, or <c>GridMap:ExpensiveRequestsPerMinute</c> in appsettings.json;
    /// 429 beyond). Null: the configuration's value, else <see cref="DefaultExpensiveRequestsPerMinute"/>.
    /// </summary>
    public int? ExpensiveRequestsPerMinute { get; init; }

    /// <summary>Far above what a person at the map does: one 服务圈 change fetches the report, table, buildings, isochrones and gaps; what-if drags add more.</summary>
    public const int DefaultExpensiveRequestsPerMinute = 600;

    /// <summary>
    /// Host names the server answers besides IP literals, loopback names and the names in its URLs (<c>--allowed-hosts</c>;
    /// <c>AllowedHosts</c> in appsettings.json adds to them; <c>*</c> allows any). Other names: 400 (DNS rebinding).
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// A PEM certificate and key for HTTPS (<c>--https-cert</c>, <c>--https-key</c>): phones locate themselves and keep the
    /// page offline only in a secure context. Null: plain HTTP (or TLS ends at a reverse proxy).
    /// </summary>
    public string? HttpsCertificate { get; init; }

    public string? HttpsKey { get; init; }

    /// <summary>Raster basemap URL templates drawn under GridMap's layers, in order (<c>--basemap</c>); none by default.</summary>
    public IReadOnlyList<string> Basemaps { get; init; } = [];

    /// <summary>What <c>{s}</c> in a basemap URL stands for, one tile URL each (<c>--basemap-subdomains</c>).</summary>
    public IReadOnlyList<string> BasemapSubdomains { get; init; } = ["a", "b", "c"];

    /// <summary>Origins whose pages may call the API (CORS); none by default (<c>--cors-origin</c>, repeatable).</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
}
