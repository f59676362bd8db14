using System.Data;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GridMap.Storage.PostGis;

/// <summary>
/// The production store: one PostGIS table per layer (see <see cref="Migrations"/>).
/// Nothing is cached in process; every committed write sends <c>NOTIFY gridmap_changes, '&lt;layer&gt;'</c>
/// so that replicas can drop their own caches.
/// </summary>
public sealed partial class PostGisStore : IFeatureStore
{
    /// <summary>The channel every committed write notifies, with the layer key as payload.</summary>
    public const string ChangesChannel = "gridmap_changes";

    const string Columns = "id, version, geom, props::text";

    static readonly JsonSerializerOptions JsonWrite = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    PostGisStore(NpgsqlDataSource dataSource) => DataSource = dataSource;

    /// <summary>The pooled data source (NetTopologySuite mapping on), for jobs and routing checks.</summary>
    public NpgsqlDataSource DataSource { get; }

    public string Kind => "postgis";

    public event Action<Layer>? Changed;

    /// <summary>
    /// Listens on <see cref="ChangesChannel"/> until cancelled and raises <see cref="Changed"/> for every write any
    /// process commits (this one's included); reconnects after a lost connection, raising Changed for every layer then,
    /// since notifications sent meanwhile are lost.
    /// </summary>
    public async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = await DataSource.OpenConnectionAsync(ct);
                conn.Notification += (_, e) =>
                {
                    if (e.Channel == ChangesChannel && Layers.TryParse(e.Payload, out var layer)) Changed?.Invoke(layer);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {ChangesChannel}", conn)) await listen.ExecuteNonQueryAsync(ct);
                foreach (var layer in Layers.All) Changed?.Invoke(layer);
                while (true) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Applies pending schema migrations, then opens the store.</summary>
    public static async Task<PostGisStore> OpenAsync(string connectionString, CancellationToken ct = default)
    {
        // Migrate through a throwaway data source: if the migration creates the postgis extension,
        // the real data source must load its types only afterwards to know "geometry".
        await using (var plain = NpgsqlDataSource.Create(connectionString))
        await using (var conn = await plain.OpenConnectionAsync(ct))
            await Migrations.ApplyAsync(conn, ct);

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseNetTopologySuite();
        return new PostGisStore(builder.Build());
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    // ---- reads ----

    public async Task<FeaturePage> ListAsync(Layer layer, FeatureQuery query, CancellationToken ct = default)
    {
        var t = layer.Key();
        var box = query.Bbox is { IsNull: false } b ? b : null;
        var where = box is null ? "" :
            "WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))";
        var n = box is null ? 0 : 4;

        // The page and the total go in one round trip.
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        var page = new NpgsqlBatchCommand($"SELECT {Columns} FROM {t} {where} ORDER BY id LIMIT ${n + 1} OFFSET ${n + 2}");
        var count = new NpgsqlBatchCommand($"SELECT count(*) FROM {t} {where}");
        foreach (var cmd in new[] { page, count })
            if (box is not null)
                foreach (var v in new[] { box.MinX, box.MinY, box.MaxX, box.MaxY })
                    cmd.Parameters.Add(new() { Value = v });
        page.Parameters.Add(new() { Value = Math.Max(0, query.Limit) });
        page.Parameters.Add(new() { Value = Math.Max(0, query.Offset) });
        batch.BatchCommands.Add(page);
        batch.BatchCommands.Add(count);

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var features = await ReadAll(reader, layer, ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new FeaturePage(features, reader.GetInt64(0));
    }

    /// <summary>
    /// A key PostgreSQL cannot hold (NUL, a lone surrogate: text refuses them) names nothing stored: lookups by it find
    /// nothing, as on the embedded store, instead of failing with an encoding error.
    /// </summary>
    internal static bool Unstorable(string key) => GridMap.Core.Schema.TextRules.Problem(key) is not null;

    public async Task<StoredFeature?> GetAsync(Layer layer, string id, CancellationToken ct = default)
    {
        if (Unstorable(id)) return null;
        await using var cmd = DataSource.CreateCommand($"SELECT {Columns} FROM {layer.Key()} WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader, layer) : null;
    }

    public async Task<StoredSetting?> GetSettingAsync(string key, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("SELECT version, value::text FROM settings WHERE key = $1");
        cmd.Parameters.Add(new() { Value = key });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new StoredSetting(key, r.GetInt64(0), System.Text.Json.Nodes.JsonNode.Parse(r.GetString(1))!.AsObject()) : null;
    }

    public async Task<long> PutSettingAsync(string key, System.Text.Json.Nodes.JsonObject value, long expectedVersion, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await InTransaction([Layer.Grids], change ?? ChangeInfo.System(ChangeKinds.Settings), null, async (conn, tx, _) =>
        {
            long current;
            await using (var q = new NpgsqlCommand("SELECT version FROM settings WHERE key = $1 FOR UPDATE", conn, tx))
            {
                q.Parameters.Add(new() { Value = key });
                current = await q.ExecuteScalarAsync(ct) is long v ? v : 0;
            }
            if (current != expectedVersion) throw new VersionConflictException(Layer.Grids, key, expectedVersion, current);
            await using (var w = new NpgsqlCommand(
                "INSERT INTO settings (key, version, value) VALUES ($1, $2, $3::jsonb) ON CONFLICT (key) DO UPDATE SET version = excluded.version, value = excluded.value", conn, tx))
            {
                w.Parameters.Add(new() { Value = key });
                w.Parameters.Add(new() { Value = expectedVersion + 1 });
                w.Parameters.Add(new() { Value = value.ToJsonString() });
                await w.ExecuteNonQueryAsync(ct);
            }
            return expectedVersion + 1;
        }, ct);
    }

    public async Task<IReadOnlyList<StoredFeature>> ContainingAsync(Layer layer, Point point, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand(
            $"SELECT {Columns} FROM {layer.Key()} WHERE ST_Covers(geom, $1) ORDER BY id");
        cmd.Parameters.Add(new() { Value = ToStore(point), NpgsqlDbType = NpgsqlDbType.Geometry });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await ReadAll(reader, layer, ct);
    }

    public async Task<IReadOnlyList<StoredFeature>> SearchAsync(string text, IReadOnlyList<Layer> layers, int limit, CancellationToken ct = default)
    {
        var found = new List<StoredFeature>();
        if (limit <= 0) return found;
        var pattern = "%" + EscapeLike((text ?? "").ToLowerInvariant()) + "%";
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        foreach (var layer in layers.Distinct())
        {
            // Layers are searched in the caller's order: that order is the priority of the results.
            await using var cmd = new NpgsqlCommand(
                $"SELECT {Columns} FROM {layer.Key()} WHERE search LIKE $1 ORDER BY id LIMIT $2", conn);
            cmd.Parameters.Add(new() { Value = pattern });
            cmd.Parameters.Add(new() { Value = limit - found.Count });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            found.AddRange(await ReadAll(reader, layer, ct));
            if (found.Count >= limit) break;
        }
        return found;
    }

    public async Task<IReadOnlyDictionary<Layer, long>> CountAsync(CancellationToken ct = default)
    {
        var sql = string.Join(" UNION ALL ", Layers.All.Select(l => $"SELECT '{l.Key()}', count(*) FROM {l.Key()}"));
        await using var cmd = DataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var counts = Layers.All.ToDictionary(l => l, _ => 0L);
        while (await reader.ReadAsync(ct))
            if (Layers.TryParse(reader.GetString(0), out var layer)) counts[layer] = reader.GetInt64(1);
        return counts;
    }

    // ---- single-feature writes ----

    public async Task<StoredFeature> CreateAsync(Layer layer, FeatureDraft draft, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await InTransaction([layer], change ?? ChangeInfo.System(ChangeKinds.Create), null, async (conn, tx, changeId) =>
        {
            // The layer's version row is locked (InTransaction): no other writer of this layer runs until commit.
            if (await CurrentVersionAsync(conn, tx, layer, draft.Id, ct) is not null) throw new DuplicateFeatureException(layer, draft.Id);
            return await WriteOneAsync(conn, tx, changeId, layer, draft, ct);
        }, ct);
    }

    public async Task<StoredFeature> ReplaceAsync(Layer layer, FeatureDraft draft, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await InTransaction([layer], change ?? ChangeInfo.System(ChangeKinds.Replace), null, async (conn, tx, changeId) =>
        {
            var current = await CurrentVersionAsync(conn, tx, layer, draft.Id, ct) ?? throw new FeatureNotFoundException(layer, draft.Id);
            if (expectedVersion is { } e && e != current) throw new VersionConflictException(layer, draft.Id, e, current);
            return await WriteOneAsync(conn, tx, changeId, layer, draft, ct);
        }, ct);
    }

    public async Task DeleteAsync(Layer layer, string id, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default)
    {
        await InTransaction([layer], change ?? ChangeInfo.System(ChangeKinds.Delete), null, async (conn, tx, changeId) =>
        {
            var current = await CurrentVersionAsync(conn, tx, layer, id, ct) ?? throw new FeatureNotFoundException(layer, id);
            if (expectedVersion is { } e && e != current) throw new VersionConflictException(layer, id, e, current);
            await DeleteAllAsync(conn, tx, changeId, layer, [id], ct);
            return true;
        }, ct);
    }

    static async Task<long?> CurrentVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Layer layer, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT version FROM {layer.Key()} WHERE id = $1 FOR UPDATE", conn, tx);
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    /// <summary>Writes one feature (inserted or replaced) with its history row; answers it as stored.</summary>
    static async Task<StoredFeature> WriteOneAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long changeId, Layer layer, FeatureDraft draft, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            WITH recorded AS ({RecordWritesSql(layer, "(SELECT $1::text AS id, 1::bigint AS n)")} RETURNING version_after)
            INSERT INTO {layer.Key()} AS t (id, version, geom, props, search) SELECT $1, version_after, $2, $3::jsonb, $4 FROM recorded
            ON CONFLICT (id) DO UPDATE SET version = excluded.version, geom = excluded.geom, props = excluded.props,
                search = excluded.search, updated_at = now()
            RETURNING {Columns}
            """, conn, tx);
        AddDraft(cmd, draft);
        cmd.Parameters.Add(new() { Value = changeId });
        return (await ReadOne(cmd, layer, ct))!;
    }

    /// <summary>
    /// SQL recording that the ids of <paramref name="source"/> (columns id, n: how many times it is written) are written by
    /// change set <c>$5</c>: one row each with the old value and the new version — the stored one + n, or for an id not
    /// stored the last version it ever had + n, so a feature deleted and created again continues its numbers. Written
    /// twice in one change set, a feature keeps one row: the first old value, the last version.
    /// </summary>
    static string RecordWritesSql(Layer layer, string source) => $"""
        INSERT INTO history (change_id, layer, feature_id, version_before, version_after, geom, props)
        SELECT $5, '{layer.Key()}', s.id, coalesce(t.version, 0),
               coalesce(t.version, (SELECT max(greatest(p.version_before, p.version_after)) FROM history p
                                    WHERE p.layer = '{layer.Key()}' AND p.feature_id = s.id), 0) + s.n,
               t.geom, t.props
        FROM {source} s LEFT JOIN {layer.Key()} t ON t.id = s.id
        ON CONFLICT (change_id, layer, feature_id) DO UPDATE SET version_after = excluded.version_after
        """;

    /// <summary>
    /// Records the old values of the named features as deleted, then deletes them; with <paramref name="ids"/> null, every
    /// feature of the layer this change set has not written (what a replace import leaves out).
    /// </summary>
    static async Task DeleteAllAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long changeId, Layer layer, string[]? ids, CancellationToken ct)
    {
        var where = ids is not null ? "WHERE id = ANY($2)" : $"""
            WHERE NOT EXISTS (SELECT 1 FROM history w WHERE w.change_id = $1 AND w.layer = '{layer.Key()}' AND w.feature_id = id AND w.version_after > 0)
            """;
        await using var batch = new NpgsqlBatch(conn, tx);
        var record = new NpgsqlBatchCommand($"""
            INSERT INTO history (change_id, layer, feature_id, version_before, version_after, geom, props)
            SELECT $1, '{layer.Key()}', id, version, 0, geom, props FROM {layer.Key()} {where}
            ON CONFLICT (change_id, layer, feature_id) DO UPDATE SET version_after = 0
            """);
        // The delete runs after the record: what it deletes now has version_after 0 in this change set.
        var delete = new NpgsqlBatchCommand($"DELETE FROM {layer.Key()} {where}");
        record.Parameters.Add(new() { Value = changeId });
        delete.Parameters.Add(new() { Value = changeId });
        if (ids is not null)
        {
            record.Parameters.Add(new() { Value = ids });
            delete.Parameters.Add(new() { Value = ids });
        }
        batch.BatchCommands.Add(record);
        batch.BatchCommands.Add(delete);
        await batch.ExecuteNonQueryAsync(ct);
    }

    // ---- import ----

    public async Task<ImportSummary> ImportAsync(IReadOnlyList<LayerBatch> batches, ImportMode mode, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default)
    {
        // Batches of the same layer are written together, in the order given.
        var byLayer = batches.GroupBy(b => b.Layer)
            .Select(g => (Layer: g.Key, Features: g.SelectMany(b => b.Features).ToList()))
            .ToList();
        if (byLayer.Count == 0) return new ImportSummary(new Dictionary<Layer, int>());
        // An id may occur once per batch (as in SQLite); across batches of an upsert the last one wins.
        RefuseDuplicates(batches.Select(b => (b.Layer, b.Features.ToList())));
        if (mode == ImportMode.ReplaceLayers) RefuseDuplicates(byLayer);

        return await InTransaction(byLayer.Select(l => l.Layer).ToList(), change ?? ChangeInfo.System(ChangeKinds.Import), expectedLayers, async (conn, tx, changeId) =>
        {
            var counts = new Dictionary<Layer, int>();
            foreach (var (layer, features) in byLayer)
            {
                // A replace writes what it brings (features kept go on at version + 1), then deletes the rest: one history
                // row per feature, and one INSERT … SELECT copies the old values of all it removes.
                await UpsertAsync(conn, tx, changeId, layer, features, ct);
                if (mode == ImportMode.ReplaceLayers) await DeleteAllAsync(conn, tx, changeId, layer, null, ct);
                counts[layer] = features.Count;
            }
            return new ImportSummary(counts, changeId);
        }, ct);
    }

    public async Task<long> ApplyAsync(IReadOnlyList<(Layer Layer, string Id)> deletes, IReadOnlyList<LayerBatch> upserts,
        IReadOnlyList<ExpectedVersion>? expected = null, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default)
    {
        RefuseDuplicates(upserts.Select(b => (b.Layer, b.Features.ToList())));
        var touched = deletes.Select(d => d.Layer).Concat(upserts.Where(u => u.Features.Count > 0).Select(u => u.Layer)).Distinct().ToList();
        return await InTransaction(touched, change ?? ChangeInfo.System(ChangeKinds.Apply), expectedLayers, async (conn, tx, changeId) =>
        {
            if (expected is { Count: > 0 })
            {
                // FOR UPDATE: the rows checked stay locked until commit, so no other writer slips in between check and write.
                var conflicts = new List<(ExpectedVersion, long)>();
                foreach (var group in expected.GroupBy(e => e.Layer))
                {
                    var current = new Dictionary<string, long>(StringComparer.Ordinal);
                    await using (var q = new NpgsqlCommand($"SELECT id, version FROM {group.Key.Key()} WHERE id = ANY($1) ORDER BY id FOR UPDATE", conn, tx))
                    {
                        q.Parameters.Add(new() { Value = group.Select(e => e.Id).Distinct().ToArray() });
                        await using var r = await q.ExecuteReaderAsync(ct);
                        while (await r.ReadAsync(ct)) current[r.GetString(0)] = r.GetInt64(1);
                    }
                    foreach (var e in group)
                        if (current.GetValueOrDefault(e.Id) != e.Version) conflicts.Add((e, current.GetValueOrDefault(e.Id)));
                }
                if (conflicts.Count > 0) throw new VersionConflictsException(conflicts);
            }
            foreach (var group in deletes.GroupBy(d => d.Layer))
                await DeleteAllAsync(conn, tx, changeId, group.Key, group.Select(d => d.Id).ToArray(), ct);
            foreach (var batch in upserts.GroupBy(b => b.Layer))
                await UpsertAsync(conn, tx, changeId, batch.Key, batch.SelectMany(b => b.Features).ToList(), ct);
            return changeId;
        }, ct);
    }

    /// <summary>Within one ReplaceLayers import an id may occur once per layer; refuse before writing anything.</summary>
    static void RefuseDuplicates(IEnumerable<(Layer Layer, List<FeatureDraft> Features)> byLayer)
    {
        foreach (var (layer, features) in byLayer)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in features)
                if (!seen.Add(f.Id)) throw new DuplicateFeatureException(layer, f.Id);
        }
    }

    /// <summary>
    /// Stages the features with binary COPY, records them in the change set, then merges them in one statement. An id
    /// given n times ends as its last draft, its version raised n times, just as n single writes would leave it.
    /// </summary>
    static async Task UpsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long changeId, Layer layer, List<FeatureDraft> features, CancellationToken ct)
    {
        if (features.Count == 0) return;
        var t = layer.Key();
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE gridmap_stage (seq int, id text COLLATE \"C\", geom geometry, props jsonb, search text) ON COMMIT DROP", conn, tx))
            await create.ExecuteNonQueryAsync(ct);
        await CopyAsync(conn, features, ct);
        await using (var merge = new NpgsqlBatch(conn, tx))
        {
            // $5 is the change id in RecordWritesSql; the other numbers are unused here.
            var record = new NpgsqlBatchCommand(RecordWritesSql(layer, "(SELECT id, count(*) AS n FROM gridmap_stage GROUP BY id)").Replace("$5", "$1"));
            var write = new NpgsqlBatchCommand($"""
                INSERT INTO {t} AS t (id, version, geom, props, search)
                SELECT DISTINCT ON (s.id) s.id, h.version_after, s.geom, s.props, s.search
                FROM gridmap_stage s JOIN history h ON h.change_id = $1 AND h.layer = '{t}' AND h.feature_id = s.id
                ORDER BY s.id, s.seq DESC
                ON CONFLICT (id) DO UPDATE SET version = excluded.version, geom = excluded.geom,
                    props = excluded.props, search = excluded.search, updated_at = now()
                """);
            record.Parameters.Add(new() { Value = changeId });
            write.Parameters.Add(new() { Value = changeId });
            merge.BatchCommands.Add(record);
            merge.BatchCommands.Add(write);
            merge.BatchCommands.Add(new NpgsqlBatchCommand("DROP TABLE gridmap_stage"));
            await merge.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Binary COPY into the staging table, with a sequence number: 100k rows in seconds.</summary>
    static async Task CopyAsync(NpgsqlConnection conn, List<FeatureDraft> features, CancellationToken ct)
    {
        await using var writer = await conn.BeginBinaryImportAsync("COPY gridmap_stage (seq, id, geom, props, search) FROM STDIN (FORMAT BINARY)", ct);
        var seq = 0;
        foreach (var f in features)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(seq++, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(f.Id, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(ToStore(f.Geometry), NpgsqlDbType.Geometry, ct);
            await writer.WriteAsync(f.Properties.ToJsonString(JsonWrite), NpgsqlDbType.Jsonb, ct);
            await writer.WriteAsync(SearchText.For(f.Id, f.Properties), NpgsqlDbType.Text, ct);
        }
        await writer.CompleteAsync(ct);
    }

    // ---- helpers ----

    /// <summary>
    /// Runs a write in a transaction as one change set of the <paramref name="touched"/> layers, which also notifies each of
    /// them; PostgreSQL delivers the notifications at commit, and drops them with the transaction on failure. Each touched
    /// layer's version is raised first, in layer order: its row stays locked until commit, so writers of one layer take
    /// turns (and never deadlock on these rows), and the layer versions named in <paramref name="expectedLayers"/> are
    /// checked against what is being overwritten. Nothing is recorded when no layer is touched (change id 0).
    /// </summary>
    async Task<T> InTransaction<T>(IReadOnlyList<Layer> touched, ChangeInfo change, IReadOnlyList<ExpectedLayerVersion>? expectedLayers,
        Func<NpgsqlConnection, NpgsqlTransaction, long, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var layers = touched.Distinct().Order().ToList();
        var before = new Dictionary<Layer, long>();
        foreach (var layer in layers)
        {
            await using var bump = new NpgsqlCommand("""
                INSERT INTO layer_versions (layer, version) VALUES ($1, 1)
                ON CONFLICT (layer) DO UPDATE SET version = layer_versions.version + 1 RETURNING version
                """, conn, tx);
            bump.Parameters.Add(new() { Value = layer.Key() });
            before[layer] = (long)(await bump.ExecuteScalarAsync(ct))! - 1;
        }
        foreach (var e in expectedLayers ?? [])
        {
            var current = before.TryGetValue(e.Layer, out var b) ? b : (await LayerVersionsAsync(conn, tx, ct))[e.Layer];
            if (current != e.Version) throw new LayerVersionConflictException(e.Layer, e.Version, current);
        }
        var changeId = layers.Count == 0 ? 0 : await OpenChangeAsync(conn, tx, change, ct);
        var result = await work(conn, tx, changeId);
        foreach (var layer in layers)
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", conn, tx);
            notify.Parameters.Add(new() { Value = ChangesChannel });
            notify.Parameters.Add(new() { Value = layer.Key() });
            await notify.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        foreach (var layer in layers) Changed?.Invoke(layer);
        return result;
    }

    static void AddDraft(NpgsqlCommand cmd, FeatureDraft draft)
    {
        cmd.Parameters.Add(new() { Value = draft.Id });
        cmd.Parameters.Add(new() { Value = ToStore(draft.Geometry), NpgsqlDbType = NpgsqlDbType.Geometry });
        cmd.Parameters.Add(new() { Value = draft.Properties.ToJsonString(JsonWrite) });
        cmd.Parameters.Add(new() { Value = SearchText.For(draft.Id, draft.Properties) });
    }

    /// <summary>Geometries without an SRID are taken as lon/lat; any other SRID is left for PostGIS to refuse.</summary>
    static Geometry ToStore(Geometry g) => g.SRID == 0 ? GeometryRules.Factory.CreateGeometry(g) : g;

    static string EscapeLike(string s) => s.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    static async Task<StoredFeature?> ReadOne(NpgsqlCommand cmd, Layer layer, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader, layer) : null;
    }

    static async Task<List<StoredFeature>> ReadAll(NpgsqlDataReader reader, Layer layer, CancellationToken ct)
    {
        var list = new List<StoredFeature>();
        while (await reader.ReadAsync(ct)) list.Add(Read(reader, layer));
        return list;
    }

    static StoredFeature Read(NpgsqlDataReader reader, Layer layer) => new(
        layer,
        reader.GetString(0),
        reader.GetInt64(1),
        GeometryRules.Factory.CreateGeometry(reader.GetFieldValue<Geometry>(2)),
        JsonNode.Parse(reader.GetString(3)) as JsonObject ?? []);
}
