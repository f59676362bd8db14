using GridMap.Core.Model;
using Microsoft.Data.Sqlite;

namespace GridMap.Storage.Sqlite;

/// <summary>Versioned schema of the embedded store, applied when it opens.</summary>
static class SqliteSchema
{
    static readonly IReadOnlyList<string> Migrations =
    [
        string.Concat(Layers.First.Select(l => LayerTable(l.Key()))),
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            status TEXT NOT NULL,
            progress REAL NOT NULL,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            parameters TEXT NOT NULL,
            result TEXT,
            error TEXT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL);
        CREATE INDEX jobs_status ON jobs (status, created);

        """,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            value TEXT NOT NULL);

        """,
        LayerTable(Layer.SpecialAreas.Key()),
        // History: every write transaction is a change set; each feature it changes gets one row with its old value.
        // Data directories made before this step start their history here (their features keep their versions).
        """
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            summary TEXT,
            at TEXT NOT NULL,
            reverts INTEGER,
            reverted_by INTEGER);
        CREATE TABLE history (
            change_id INTEGER NOT NULL,
            layer TEXT NOT NULL,
            feature_id TEXT NOT NULL,
            version_before INTEGER NOT NULL,
            version_after INTEGER NOT NULL,
            geom BLOB,
            props TEXT,
            PRIMARY KEY (change_id, layer, feature_id));
        CREATE INDEX history_feature ON history (layer, feature_id, change_id);
        CREATE TABLE layer_versions (
            layer TEXT PRIMARY KEY,
            version INTEGER NOT NULL);

        """,
        // Accounts and their bearer tokens (hashes only).
        """
        CREATE TABLE accounts (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            scope TEXT,
            grids TEXT NOT NULL,
            can_edit_households INTEGER NOT NULL,
            password_hash TEXT,
            password_generated INTEGER NOT NULL,
            created TEXT NOT NULL,
            version INTEGER NOT NULL);
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            revoked TEXT);

        """,
    ];

    /// <summary>The schema version of a store once opened.</summary>
    public static int Latest => Migrations.Count;

    static string LayerTable(string table) => $"""
        CREATE TABLE {table} (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL,
            geom BLOB NOT NULL,
            props TEXT NOT NULL,
            search TEXT NOT NULL);
        CREATE VIRTUAL TABLE {table}_rtree USING rtree(rid, minx, maxx, miny, maxy);

        """;

    public static async Task MigrateAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = c.BeginTransaction(deferred: false);
        await using (var create = c.CreateCommand())
        {
            create.Transaction = tx;
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)";
            await create.ExecuteNonQueryAsync(ct);
        }
        long applied;
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations";
            applied = (long)(await q.ExecuteScalarAsync(ct))!;
        }
        for (var v = (int)applied + 1; v <= Migrations.Count; v++)
        {
            await using var m = c.CreateCommand();
            m.Transaction = tx;
            m.CommandText = Migrations[v - 1] + "INSERT INTO schema_migrations VALUES ($v, datetime('now'));";
            m.Parameters.AddWithValue("$v", v);
            await m.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }
}
