using Npgsql;

namespace GridMap.Storage.PostGis;

/// <summary>
/// Throwaway PostGIS databases on a server: made fresh with the postgis extension, dropped afterwards. Tests make one
/// per test class; `gridmap bench writes` one per configuration.
/// </summary>
public static class ScratchDatabase
{
    /// <summary>Creates <c>{name}</c> (a plain identifier) on the server <paramref name="server"/> names; returns its connection string.</summary>
    public static async Task<string> CreateAsync(string server, string name, CancellationToken ct = default)
    {
        var admin = new NpgsqlConnectionStringBuilder(server) { Pooling = false };
        if (string.IsNullOrEmpty(admin.Database)) admin.Database = "postgres";
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS postgis", conn);
            await ext.ExecuteNonQueryAsync(ct);
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateAsync"/>, closing its connections; false (with the reason) when it could not.</summary>
    public static async Task<(bool Dropped, string? Error)> DropAsync(string connectionString)
    {
        try
        {
            var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
            if (string.IsNullOrEmpty(name)) return (true, null);
            NpgsqlConnection.ClearAllPools();
            var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
            await using var conn = new NpgsqlConnection(admin);
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
            return (true, null);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ArgumentException)
        {
            return (false, e.Message);
        }
    }
}
