using Npgsql;
using Testcontainers.PostgreSql;

namespace GridMap.Testing;

/// <summary>
/// Fresh PostGIS databases for tests, one per test class. The server is the one named by
/// <c>GRIDMAP_TEST_POSTGRES</c> (what <c>scripts/test.sh</c> starts), else a Docker container
/// started once per test process. With neither, tests fail: they never skip.
/// </summary>
public static class PostGisDatabase
{
    public const string EnvironmentVariable = "GRIDMAP_TEST_POSTGRES";
    public const string Image = "postgis/postgis:15-3.4";

    static readonly Lazy<Task<string>> Server = new(FindServerAsync);

    /// <summary>Creates <c>{prefix}_{random}</c> with the postgis extension and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix) =>
        // at most 30 + 1 + 32 = 63 characters
        await GridMap.Storage.PostGis.ScratchDatabase.CreateAsync(await Server.Value, $"{Sanitize(prefix)}_{Guid.NewGuid():N}");

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections; errors are ignored
    /// (cleanup is best effort: the throwaway cluster or container goes away anyway).</summary>
    public static Task DropDatabaseAsync(string connectionString) => GridMap.Storage.PostGis.ScratchDatabase.DropAsync(connectionString);

    static async Task<string> FindServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;

        try
        {
            var container = new PostgreSqlBuilder(Image)
                .WithUsername("gridmap").WithPassword("gridmap").WithDatabase("postgres")
                .Build();
            await container.StartAsync();
            return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = "postgres" }.ConnectionString;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"no PostGIS: set {EnvironmentVariable} or run the README's test command (bash scripts/test.sh). " +
                $"Docker was not usable either: {e.GetType().Name}: {e.Message}", e);
        }
    }

    static string Sanitize(string prefix)
    {
        var s = new string(prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (s.Length == 0 || !char.IsAsciiLetter(s[0])) s = "t" + s;
        return s.Length > 30 ? s[..30] : s;
    }
}
