using System.Globalization;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using Microsoft.Data.Sqlite;

namespace GridMap.Storage.Sqlite;

/// <summary>
/// Change sets, history and layer versions of the embedded store: every write transaction opens one change set, raises the
/// version of each layer it changes and copies the old value of every feature it changes into <c>history</c>.
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>
    /// Runs a write in one immediate transaction (the write lock is held from the start) as one change set of the
    /// <paramref name="touched"/> layers; nothing is recorded when no layer is touched (change id 0).
    /// </summary>
    async Task<T> WriteAsync<T>(IReadOnlyCollection<Layer> touched, ChangeInfo change, IReadOnlyList<ExpectedLayerVersion>? expectedLayers,
        Func<SqliteConnection, SqliteTransaction, long, Task<T>> work, CancellationToken ct)
    {
        await using var c = await ConnectAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
        var before = new Dictionary<Layer, long>();
        foreach (var layer in touched.Distinct().Order())
        {
            await using var bump = c.CreateCommand();
            bump.Transaction = tx;
            bump.CommandText = "INSERT INTO layer_versions (layer, version) VALUES ($l, 1) ON CONFLICT(layer) DO UPDATE SET version = version + 1 RETURNING version";
            bump.Parameters.AddWithValue("$l", layer.Key());
            before[layer] = (long)(await bump.ExecuteScalarAsync(ct))! - 1;
        }
        foreach (var e in expectedLayers ?? [])
        {
            var current = before.TryGetValue(e.Layer, out var b) ? b : (await LayerVersionsAsync(c, tx, ct))[e.Layer];
            if (current != e.Version) throw new LayerVersionConflictException(e.Layer, e.Version, current);
        }
        var changeId = 0L;
        if (before.Count > 0)
        {
            await using var open = c.CreateCommand();
            open.Transaction = tx;
            open.CommandText = """
                INSERT INTO changes (author, kind, summary, at, reverts) VALUES ($author, $kind, $summary, $at, $reverts) RETURNING id;
                """;
            open.Parameters.AddWithValue("$author", change.Author);
            open.Parameters.AddWithValue("$kind", change.Kind);
            open.Parameters.AddWithValue("$summary", (object?)change.Summary ?? DBNull.Value);
            open.Parameters.AddWithValue("$at", Now());
            open.Parameters.AddWithValue("$reverts", (object?)change.Reverts ?? DBNull.Value);
            changeId = (long)(await open.ExecuteScalarAsync(ct))!;
            if (change.Reverts is { } reverted)
            {
                await using var mark = c.CreateCommand();
                mark.Transaction = tx;
                mark.CommandText = "UPDATE changes SET reverted_by = $id WHERE id = $reverted";
                mark.Parameters.AddWithValue("$id", changeId);
                mark.Parameters.AddWithValue("$reverted", reverted);
                await mark.ExecuteNonQueryAsync(ct);
            }
        }
        var result = await work(c, tx, changeId);
        await tx.CommitAsync(ct);
        foreach (var layer in before.Keys) Changed?.Invoke(layer);
        return result;
    }

    /// <summary>
    /// Records that a feature (<c>$id</c>) is written by the change set and answers its new version: the stored one + 1, or,
    /// for a feature not stored, the last version it ever had + 1 (so one deleted and created again continues its numbers).
    /// Written twice in one change set, it keeps one row: the first old value, the last version.
    /// </summary>
    static SqliteCommand RecordWriteCommand(SqliteConnection c, SqliteTransaction tx, long changeId, Layer layer, out SqliteParameter id)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            INSERT INTO history (change_id, layer, feature_id, version_before, version_after, geom, props)
            SELECT $change, $layer, $id, coalesce(t.version, 0),
                   coalesce(t.version, (SELECT max(max(h.version_before, h.version_after)) FROM history h WHERE h.layer = $layer AND h.feature_id = $id), 0) + 1,
                   t.geom, t.props
            FROM (SELECT 1) LEFT JOIN {T(layer)} t ON t.id = $id WHERE true
            ON CONFLICT (change_id, layer, feature_id) DO UPDATE SET version_after = excluded.version_after
            RETURNING version_after
            """;
        cmd.Parameters.AddWithValue("$change", changeId);
        cmd.Parameters.AddWithValue("$layer", layer.Key());
        id = cmd.Parameters.Add("$id", SqliteType.Text);
        return cmd;
    }

    /// <summary>SQL that records the old values of the layer's rows matching <paramref name="where"/> as deleted by <c>$change</c>.</summary>
    static string RecordDeletesSql(Layer layer, string where) => $"""
        INSERT INTO history (change_id, layer, feature_id, version_before, version_after, geom, props)
        SELECT $change, '{layer.Key()}', id, version, 0, geom, props FROM {T(layer)} {where}
        ON CONFLICT (change_id, layer, feature_id) DO UPDATE SET version_after = 0
        """;

    // ---- reads ----

    const string ChangeColumns = "c.id, c.author, c.kind, c.summary, c.at, c.reverts, c.reverted_by";

    public async Task<IReadOnlyList<FeatureRevision>> FeatureHistoryAsync(Layer layer, string id, int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {ChangeColumns}, h.version_before, h.version_after, h.geom, h.props
            FROM history h JOIN changes c ON c.id = h.change_id
            WHERE h.layer = $layer AND h.feature_id = $id ORDER BY h.change_id DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$layer", layer.Key());
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<FeatureRevision>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var change = ReadChange(r, new Dictionary<Layer, long>());
            list.Add(new(change, new HistoryEntry(change.Id, layer, id, r.GetInt64(7), r.GetInt64(8),
                r.IsDBNull(9) ? null : Wkb.Read((byte[])r.GetValue(9)), r.IsDBNull(10) ? null : JsonNode.Parse(r.GetString(10))!.AsObject())));
        }
        return list;
    }

    public async Task<ChangeSetPage> ListChangesAsync(int limit, int offset, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        var changes = await ReadChangesAsync(c, "ORDER BY c.id DESC LIMIT $limit OFFSET $offset", cmd =>
        {
            cmd.Parameters.AddWithValue("$limit", limit);
            cmd.Parameters.AddWithValue("$offset", offset);
        }, ct);
        await using var count = c.CreateCommand();
        count.CommandText = "SELECT count(*) FROM changes";
        return new(changes, (long)(await count.ExecuteScalarAsync(ct))!);
    }

    public async Task<ChangeSet?> GetChangeAsync(long id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        return (await ReadChangesAsync(c, "WHERE c.id = $id", cmd => cmd.Parameters.AddWithValue("$id", id), ct)).FirstOrDefault();
    }

    /// <summary>Change sets with their counts by layer.</summary>
    static async Task<List<ChangeSet>> ReadChangesAsync(SqliteConnection c, string tail, Action<SqliteCommand> parameters, CancellationToken ct)
    {
        var heads = new List<ChangeSet>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = $"SELECT {ChangeColumns} FROM changes c {tail}";
            parameters(cmd);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) heads.Add(ReadChange(r, new Dictionary<Layer, long>()));
        }
        if (heads.Count == 0) return heads;
        await using (var counts = c.CreateCommand())
        {
            counts.CommandText = $"SELECT change_id, layer, count(*) FROM history WHERE change_id IN ({string.Join(",", heads.Select(h => h.Id))}) GROUP BY change_id, layer";
            await using var r = await counts.ExecuteReaderAsync(ct);
            var byId = heads.ToDictionary(h => h.Id, h => (Dictionary<Layer, long>)h.Counts);
            while (await r.ReadAsync(ct))
                if (Layers.TryParse(r.GetString(1), out var layer)) byId[r.GetInt64(0)][layer] = r.GetInt64(2);
        }
        return heads;
    }

    static ChangeSet ReadChange(SqliteDataReader r, Dictionary<Layer, long> counts) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
        DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
        counts);

    public async Task<IReadOnlyList<HistoryEntry>> ChangeEntriesAsync(long id, int limit, int offset, bool withValues, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT layer, feature_id, version_before, version_after{(withValues ? ", geom, props" : "")}
            FROM history WHERE change_id = $id ORDER BY layer, feature_id LIMIT $limit OFFSET $offset
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$limit", limit);
        cmd.Parameters.AddWithValue("$offset", offset);
        var list = new List<HistoryEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (!Layers.TryParse(r.GetString(0), out var layer)) continue;
            list.Add(new HistoryEntry(id, layer, r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                withValues && !r.IsDBNull(4) ? Wkb.Read((byte[])r.GetValue(4)) : null,
                withValues && !r.IsDBNull(5) ? JsonNode.Parse(r.GetString(5))!.AsObject() : null));
        }
        return list;
    }

    public async Task<IReadOnlyList<TouchedSince>> TouchedSinceAsync(long id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT later.layer, later.feature_id, later.change_id, later.version_after
            FROM history h JOIN history later ON later.layer = h.layer AND later.feature_id = h.feature_id AND later.change_id > h.change_id
            WHERE h.change_id = $id ORDER BY later.layer, later.feature_id, later.change_id
            """;
        cmd.Parameters.AddWithValue("$id", id);
        var rows = new List<(string Layer, string Id, long Change, long Version)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return rows.GroupBy(x => (x.Layer, x.Id))
            .Select(g => Layers.TryParse(g.Key.Layer, out var layer) ? new TouchedSince(layer, g.Key.Id, g.Select(x => x.Change).ToList(), g.Last().Version) : null)
            .OfType<TouchedSince>().ToList();
    }

    public async Task<IReadOnlyDictionary<Layer, long>> LayerVersionsAsync(CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        return await LayerVersionsAsync(c, null, ct);
    }

    static async Task<IReadOnlyDictionary<Layer, long>> LayerVersionsAsync(SqliteConnection c, SqliteTransaction? tx, CancellationToken ct)
    {
        var versions = Layers.All.ToDictionary(l => l, _ => 0L);
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT layer, version FROM layer_versions";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (Layers.TryParse(r.GetString(0), out var layer)) versions[layer] = r.GetInt64(1);
        return versions;
    }
}
