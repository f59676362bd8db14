using GridMap.Core.Model;
using Npgsql;

namespace GridMap.Storage.PostGis;

/// <summary>One step of the PostGIS schema; steps are applied in version order, each exactly once.</summary>
public sealed record Migration(int Version, string Description, string Sql);

/// <summary>
/// The versioned schema of the PostGIS store. Append new steps at the end with the next version;
/// never edit a step that has shipped (servers that applied it will not run it again).
/// </summary>
public static class Migrations
{
    /// <summary>Key of the advisory lock that serialises migrations across server processes ("gridmap").</summary>
    public const long LockKey = 0x67_72_69_64_6d_61_70;

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "postgis and one table per layer", "CREATE EXTENSION IF NOT EXISTS postgis;\n" +
            string.Concat(Layers.First.Select(l => LayerTable(l.Key())))),
        new(2, "jobs (partitioning and other long work) with their results", """
            CREATE TABLE jobs (
                id text PRIMARY KEY,
                kind text NOT NULL,
                scope text NOT NULL,
                status text NOT NULL,
                progress double precision NOT NULL,
                cancel_requested boolean NOT NULL DEFAULT false,
                parameters jsonb NOT NULL,
                result jsonb,
                error text,
                created timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            CREATE INDEX jobs_status_idx ON jobs (status, created);
            """),
        new(3, "store settings (the band), versioned", """
            CREATE TABLE settings (
                key text COLLATE "C" PRIMARY KEY,
                version bigint NOT NULL,
                value jsonb NOT NULL
            );
            """),
        new(4, "special areas: non-residential land that gets dedicated grids", LayerTable(Layer.SpecialAreas.Key())),
        // Append-only: the store inserts into changes and history and never deletes from them. No foreign keys: the one
        // writer is the store, inside the write's own transaction, and a 90k-row replace import should not pay for checks.
        new(5, "history: change sets, the old value of every feature each one changed, layer versions", """
            CREATE TABLE changes (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                author text NOT NULL,
                kind text NOT NULL,
                summary text,
                at timestamptz NOT NULL DEFAULT now(),
                reverts bigint,
                reverted_by bigint
            );
            CREATE TABLE history (
                change_id bigint NOT NULL,
                layer text COLLATE "C" NOT NULL,
                feature_id text COLLATE "C" NOT NULL,
                version_before bigint NOT NULL,
                version_after bigint NOT NULL,
                geom geometry(Geometry, 4326),
                props jsonb,
                PRIMARY KEY (change_id, layer, feature_id)
            );
            CREATE INDEX history_feature_idx ON history (layer, feature_id, change_id);
            CREATE TABLE layer_versions (
                layer text COLLATE "C" PRIMARY KEY,
                version bigint NOT NULL
            );
            """),
        new(6, "accounts and their bearer tokens (hashes only)", """
            CREATE TABLE accounts (
                name text COLLATE "C" PRIMARY KEY,
                role text NOT NULL,
                scope text,
                grids jsonb NOT NULL,
                can_edit_households boolean NOT NULL,
                password_hash text,
                password_generated boolean NOT NULL,
                created timestamptz NOT NULL,
                version bigint NOT NULL
            );
            CREATE TABLE tokens (
                id text PRIMARY KEY,
                account text NOT NULL,
                hash text NOT NULL UNIQUE,
                created timestamptz NOT NULL,
                revoked timestamptz
            );
            """),
    ];

    /// <remarks>
    /// <c>id</c> sorts bytewise (COLLATE "C") so paging order matches the SQLite store whatever the database locale.
    /// <c>search</c> is <see cref="GridMap.Core.Store.SearchText"/>, already lower-cased.
    /// </remarks>
    static string LayerTable(string table) => $"""
        CREATE TABLE {table} (
            id text COLLATE "C" PRIMARY KEY,
            version bigint NOT NULL,
            geom geometry(Geometry, 4326) NOT NULL,
            props jsonb NOT NULL,
            search text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX {table}_geom_idx ON {table} USING gist (geom);

        """;

    /// <summary>
    /// Applies the steps not yet recorded in <c>schema_migrations</c>, all in one transaction under
    /// <c>pg_advisory_xact_lock</c>, so that two processes starting at once apply each step once.
    /// </summary>
    /// <returns>The versions applied by this call.</returns>
    public static async Task<IReadOnlyList<int>> ApplyAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({LockKey})", ct);
        await Exec(conn, tx, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version int PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, ct);

        var applied = new HashSet<int>();
        await using (var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));

        var done = new List<int>();
        foreach (var m in All.OrderBy(m => m.Version).Where(m => !applied.Contains(m.Version)))
        {
            await Exec(conn, tx, m.Sql, ct);
            await using var record = new NpgsqlCommand(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", conn, tx);
            record.Parameters.Add(new() { Value = m.Version });
            await record.ExecuteNonQueryAsync(ct);
            done.Add(m.Version);
        }
        await tx.CommitAsync(ct);
        return done;
    }

    static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
