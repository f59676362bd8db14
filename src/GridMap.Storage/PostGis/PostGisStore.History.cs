using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using Npgsql;

namespace GridMap.Storage.PostGis;

/// <summary>
/// Change sets, history and layer versions (migration 5): every write transaction opens one change set
/// (<see cref="InTransaction{T}"/>) and copies the old value of every feature it changes into <c>history</c>.
/// </summary>
public sealed partial class PostGisStore
{
    static async Task<long> OpenChangeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeInfo change, CancellationToken ct)
    {
        await using var open = new NpgsqlCommand(
            "INSERT INTO changes (author, kind, summary, reverts) VALUES ($1, $2, $3, $4) RETURNING id", conn, tx);
        open.Parameters.Add(new() { Value = change.Author });
        open.Parameters.Add(new() { Value = change.Kind });
        open.Parameters.Add(new() { Value = (object?)change.Summary ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        open.Parameters.Add(new() { Value = (object?)change.Reverts ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        var id = (long)(await open.ExecuteScalarAsync(ct))!;
        if (change.Reverts is { } reverted)
        {
            await using var mark = new NpgsqlCommand("UPDATE changes SET reverted_by = $1 WHERE id = $2", conn, tx);
            mark.Parameters.Add(new() { Value = id });
            mark.Parameters.Add(new() { Value = reverted });
            await mark.ExecuteNonQueryAsync(ct);
        }
        return id;
    }

    const string ChangeColumns = "c.id, c.author, c.kind, c.summary, c.at, c.reverts, c.reverted_by";

    public async Task<IReadOnlyList<FeatureRevision>> FeatureHistoryAsync(Layer layer, string id, int limit = 1000, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"""
            SELECT {ChangeColumns}, h.version_before, h.version_after, h.geom, h.props::text
            FROM history h JOIN changes c ON c.id = h.change_id
            WHERE h.layer = $1 AND h.feature_id = $2 ORDER BY h.change_id DESC LIMIT $3
            """);
        cmd.Parameters.Add(new() { Value = layer.Key() });
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = limit });
        var list = new List<FeatureRevision>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var change = ReadChange(r, new Dictionary<Layer, long>());
            list.Add(new(change, new HistoryEntry(change.Id, layer, id, r.GetInt64(7), r.GetInt64(8), OldGeometry(r, 9), OldProperties(r, 10))));
        }
        return list;
    }

    public async Task<ChangeSetPage> ListChangesAsync(int limit, int offset, CancellationToken ct = default)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        var changes = await ReadChangesAsync(conn, "ORDER BY c.id DESC LIMIT $1 OFFSET $2", [Math.Max(0, limit), Math.Max(0, offset)], ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM changes", conn);
        return new(changes, (long)(await count.ExecuteScalarAsync(ct))!);
    }

    public async Task<ChangeSet?> GetChangeAsync(long id, CancellationToken ct = default)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return (await ReadChangesAsync(conn, "WHERE c.id = $1", [id], ct)).FirstOrDefault();
    }

    /// <summary>Change sets with their counts by layer.</summary>
    static async Task<List<ChangeSet>> ReadChangesAsync(NpgsqlConnection conn, string tail, object[] parameters, CancellationToken ct)
    {
        var heads = new List<ChangeSet>();
        await using (var cmd = new NpgsqlCommand($"SELECT {ChangeColumns} FROM changes c {tail}", conn))
        {
            foreach (var p in parameters) cmd.Parameters.Add(new() { Value = p });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) heads.Add(ReadChange(r, new Dictionary<Layer, long>()));
        }
        if (heads.Count == 0) return heads;
        await using (var counts = new NpgsqlCommand("SELECT change_id, layer, count(*) FROM history WHERE change_id = ANY($1) GROUP BY change_id, layer", conn))
        {
            counts.Parameters.Add(new() { Value = heads.Select(h => h.Id).ToArray() });
            await using var r = await counts.ExecuteReaderAsync(ct);
            var byId = heads.ToDictionary(h => h.Id, h => (Dictionary<Layer, long>)h.Counts);
            while (await r.ReadAsync(ct))
                if (Layers.TryParse(r.GetString(1), out var layer)) byId[r.GetInt64(0)][layer] = r.GetInt64(2);
        }
        return heads;
    }

    static ChangeSet ReadChange(NpgsqlDataReader r, Dictionary<Layer, long> counts) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
        r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6), counts);

    static Geometry? OldGeometry(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : GeometryRules.Factory.CreateGeometry(r.GetFieldValue<Geometry>(i));

    static JsonObject? OldProperties(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : JsonNode.Parse(r.GetString(i)) as JsonObject;

    public async Task<IReadOnlyList<HistoryEntry>> ChangeEntriesAsync(long id, int limit, int offset, bool withValues, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"""
            SELECT layer, feature_id, version_before, version_after{(withValues ? ", geom, props::text" : "")}
            FROM history WHERE change_id = $1 ORDER BY layer, feature_id LIMIT $2 OFFSET $3
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = Math.Max(0, limit) });
        cmd.Parameters.Add(new() { Value = Math.Max(0, offset) });
        var list = new List<HistoryEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (!Layers.TryParse(r.GetString(0), out var layer)) continue;
            list.Add(new HistoryEntry(id, layer, r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                withValues ? OldGeometry(r, 4) : null, withValues ? OldProperties(r, 5) : null));
        }
        return list;
    }

    public async Task<IReadOnlyList<TouchedSince>> TouchedSinceAsync(long id, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("""
            SELECT later.layer, later.feature_id, array_agg(later.change_id ORDER BY later.change_id),
                   (array_agg(later.version_after ORDER BY later.change_id DESC))[1]
            FROM history h JOIN history later ON later.layer = h.layer AND later.feature_id = h.feature_id AND later.change_id > h.change_id
            WHERE h.change_id = $1 GROUP BY later.layer, later.feature_id ORDER BY 1, 2
            """);
        cmd.Parameters.Add(new() { Value = id });
        var list = new List<TouchedSince>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (Layers.TryParse(r.GetString(0), out var layer)) list.Add(new(layer, r.GetString(1), r.GetFieldValue<long[]>(2), r.GetInt64(3)));
        return list;
    }

    public async Task<IReadOnlyDictionary<Layer, long>> LayerVersionsAsync(CancellationToken ct = default)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return await LayerVersionsAsync(conn, null, ct);
    }

    static async Task<IReadOnlyDictionary<Layer, long>> LayerVersionsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var versions = Layers.All.ToDictionary(l => l, _ => 0L);
        await using var cmd = new NpgsqlCommand("SELECT layer, version FROM layer_versions", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (Layers.TryParse(r.GetString(0), out var layer)) versions[layer] = r.GetInt64(1);
        return versions;
    }
}
