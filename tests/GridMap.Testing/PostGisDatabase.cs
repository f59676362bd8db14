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
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = await Server.Value;
        var name = $"{Sanitize(prefix)}_{Guid.NewGuid():N}"; // at most 30 + 1 + 32 = 63 characters

        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await create.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = false }.ConnectionString;
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync();
            await using var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS postgis", conn);
            await ext.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections; errors are ignored.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        try
        {
            var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
            if (string.IsNullOrEmpty(name)) return;
            NpgsqlConnection.ClearAllPools();
            var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
            await using var conn = new NpgsqlConnection(admin);
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            // Cleanup is best effort: the throwaway cluster or container goes away anyway.
        }
    }

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
