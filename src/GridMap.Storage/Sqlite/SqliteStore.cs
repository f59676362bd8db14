using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.IO;

namespace GridMap.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file (WAL) in the data directory, a table per layer
/// holding WKB geometry and JSON properties, and an R*Tree per layer for bounding-box queries.
/// </summary>
public sealed partial class SqliteStore : IFeatureStore
{
    public event Action<Layer>? Changed;

    public const string FileName = "gridmap.db";

    readonly string _connectionString;

    public string Kind => "sqlite";

    public string Path { get; }

    SqliteStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Opens (creating when new) the store in <paramref name="dataDirectory"/>; reports whether it was new.</summary>
    public static async Task<(SqliteStore Store, bool Created)> OpenAsync(string dataDirectory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = System.IO.Path.Combine(dataDirectory, FileName);
        var created = !File.Exists(path);
        var store = new SqliteStore(path);
        await using var c = await store.ConnectAsync(ct);
        await SqliteSchema.MigrateAsync(c, ct);
        return (store, created);
    }

    async Task<SqliteConnection> ConnectAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        await using var pragma = c.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(ct);
        return c;
    }

    static string T(Layer layer) => layer.Key();

    /// <summary>
    /// Properties are kept as UTF-8 JSON with non-ASCII text as it is (not \uXXXX): Chinese names and addresses take a
    /// third of the bytes and every read (a tile reads thousands) parses and writes them without unescaping. Older rows
    /// with escapes read the same.
    /// </summary>
    static readonly System.Text.Json.JsonSerializerOptions PropsJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<FeaturePage> ListAsync(Layer layer, FeatureQuery query, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        if (query.Bbox is { } box)
        {
            cmd.CommandText = $"""
                SELECT t.id, t.version, t.geom, t.props FROM {T(layer)} t JOIN {T(layer)}_rtree r ON r.rid = t.rid
                WHERE r.maxx >= $minx AND r.minx <= $maxx AND r.maxy >= $miny AND r.miny <= $maxy ORDER BY t.id
                """;
            cmd.Parameters.AddWithValue("$minx", box.MinX);
            cmd.Parameters.AddWithValue("$maxx", box.MaxX);
            cmd.Parameters.AddWithValue("$miny", box.MinY);
            cmd.Parameters.AddWithValue("$maxy", box.MaxY);
            // The R*Tree finds candidates by envelope; the exact test keeps results equal to PostGIS's ST_Intersects.
            var window = PreparedGeometryFactory.Prepare(GeometryRules.Factory.ToGeometry(box));
            var matches = new List<StoredFeature>();
            await foreach (var f in ReadAsync(layer, cmd, ct))
                if (box.Contains(f.Geometry.EnvelopeInternal) || window.Intersects(f.Geometry)) matches.Add(f);
            return new(matches.Skip(query.Offset).Take(query.Limit).ToList(), matches.Count);
        }

        cmd.CommandText = $"SELECT id, version, geom, props FROM {T(layer)} ORDER BY id LIMIT $limit OFFSET $offset";
        cmd.Parameters.AddWithValue("$limit", query.Limit);
        cmd.Parameters.AddWithValue("$offset", query.Offset);
        var page = new List<StoredFeature>();
        await foreach (var f in ReadAsync(layer, cmd, ct)) page.Add(f);
        await using var count = c.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM {T(layer)}";
        var total = (long)(await count.ExecuteScalarAsync(ct))!;
        return new(page, total);
    }

    public async Task<StoredFeature?> GetAsync(Layer layer, string id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        return await GetAsync(c, null, layer, id, ct);
    }

    static async Task<StoredFeature?> GetAsync(SqliteConnection c, SqliteTransaction? tx, Layer layer, string id, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT id, version, geom, props FROM {T(layer)} WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        await foreach (var f in ReadAsync(layer, cmd, ct)) return f;
        return null;
    }

    public async Task<StoredFeature> CreateAsync(Layer layer, FeatureDraft draft, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await WriteAsync([layer], change ?? ChangeInfo.System(ChangeKinds.Create), null, async (c, tx, changeId) =>
        {
            if (await GetAsync(c, tx, layer, draft.Id, ct) is not null) throw new DuplicateFeatureException(layer, draft.Id);
            return Stored(layer, draft, await UpsertAsync(c, tx, changeId, new LayerBatch(layer, [draft]), ct));
        }, ct);
    }

    public async Task<StoredFeature> ReplaceAsync(Layer layer, FeatureDraft draft, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await WriteAsync([layer], change ?? ChangeInfo.System(ChangeKinds.Replace), null, async (c, tx, changeId) =>
        {
            var current = await GetAsync(c, tx, layer, draft.Id, ct) ?? throw new FeatureNotFoundException(layer, draft.Id);
            if (expectedVersion is { } expected && expected != current.Version)
                throw new VersionConflictException(layer, draft.Id, expected, current.Version);
            return Stored(layer, draft, await UpsertAsync(c, tx, changeId, new LayerBatch(layer, [draft]), ct));
        }, ct);
    }

    public async Task DeleteAsync(Layer layer, string id, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default)
    {
        await WriteAsync([layer], change ?? ChangeInfo.System(ChangeKinds.Delete), null, async (c, tx, changeId) =>
        {
            var current = await GetAsync(c, tx, layer, id, ct) ?? throw new FeatureNotFoundException(layer, id);
            if (expectedVersion is { } expected && expected != current.Version)
                throw new VersionConflictException(layer, id, expected, current.Version);
            await DeleteRowAsync(c, tx, changeId, layer, id, ct);
            return true;
        }, ct);
    }

    /// <summary>Records the old value of a feature in the change set, then deletes it.</summary>
    static async Task DeleteRowAsync(SqliteConnection c, SqliteTransaction tx, long changeId, Layer layer, string id, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            {RecordDeletesSql(layer, "WHERE id = $id")};
            DELETE FROM {T(layer)}_rtree WHERE rid = (SELECT rid FROM {T(layer)} WHERE id = $id);
            DELETE FROM {T(layer)} WHERE id = $id;
            """;
        cmd.Parameters.AddWithValue("$change", changeId);
        cmd.Parameters.AddWithValue("$id", id);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<ImportSummary> ImportAsync(IReadOnlyList<LayerBatch> batches, ImportMode mode, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default)
    {
        var layers = batches.Select(b => b.Layer).Distinct().ToList();
        return await WriteAsync(layers, change ?? ChangeInfo.System(ChangeKinds.Import), expectedLayers, async (c, tx, changeId) =>
        {
            var written = new Dictionary<Layer, int>();
            foreach (var batch in batches)
            {
                await UpsertAsync(c, tx, changeId, batch, ct);
                written[batch.Layer] = written.GetValueOrDefault(batch.Layer) + batch.Features.Count;
            }
            if (mode == ImportMode.ReplaceLayers)
            {
                foreach (var layer in layers)
                {
                    // A replace wrote what it brings (features kept go on at version + 1); the rest goes, its old values
                    // copied to the history in one statement. What is deleted then has version_after 0.
                    var unwritten = $"WHERE id NOT IN (SELECT feature_id FROM history WHERE change_id = $change AND layer = '{layer.Key()}' AND version_after > 0)";
                    await using var clear = c.CreateCommand();
                    clear.Transaction = tx;
                    clear.CommandText = $"""
                        {RecordDeletesSql(layer, unwritten)};
                        DELETE FROM {T(layer)}_rtree WHERE rid IN (SELECT rid FROM {T(layer)} {unwritten});
                        DELETE FROM {T(layer)} {unwritten};
                        """;
                    clear.Parameters.AddWithValue("$change", changeId);
                    await clear.ExecuteNonQueryAsync(ct);
                }
            }
            return new ImportSummary(written, changeId);
        }, ct);
    }

    public async Task<long> ApplyAsync(IReadOnlyList<(Layer Layer, string Id)> deletes, IReadOnlyList<LayerBatch> upserts,
        IReadOnlyList<ExpectedVersion>? expected = null, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default)
    {
        var touched = deletes.Select(d => d.Layer).Concat(upserts.Where(b => b.Features.Count > 0).Select(b => b.Layer)).Distinct().ToList();
        // BEGIN IMMEDIATE: the write lock is held from here, so the versions checked are the ones overwritten.
        return await WriteAsync(touched, change ?? ChangeInfo.System(ChangeKinds.Apply), expectedLayers, async (c, tx, changeId) =>
        {
            if (expected is { Count: > 0 })
            {
                var conflicts = new List<(ExpectedVersion, long)>();
                foreach (var e in expected)
                {
                    await using var q = c.CreateCommand();
                    q.Transaction = tx;
                    q.CommandText = $"SELECT version FROM {T(e.Layer)} WHERE id = $id";
                    q.Parameters.AddWithValue("$id", e.Id);
                    var current = await q.ExecuteScalarAsync(ct) is long v ? v : 0;
                    if (current != e.Version) conflicts.Add((e, current));
                }
                if (conflicts.Count > 0) throw new VersionConflictsException(conflicts);
            }
            foreach (var (layer, id) in deletes) await DeleteRowAsync(c, tx, changeId, layer, id, ct);
            foreach (var batch in upserts) await UpsertAsync(c, tx, changeId, batch, ct);
            return changeId;
        }, ct);
    }

    /// <summary>
    /// Inserts new ids and replaces existing ones, raising their version; each one's old value goes to the change set.
    /// Returns the version the last one got.
    /// </summary>
    static async Task<long> UpsertAsync(SqliteConnection c, SqliteTransaction tx, long changeId, LayerBatch batch, CancellationToken ct)
    {
        await using var record = RecordWriteCommand(c, tx, changeId, batch.Layer, out var pRecordId);
        await using var upsert = c.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = UpsertRowSql(batch.Layer);
        var pId = upsert.Parameters.Add("$id", SqliteType.Text);
        var pVersion = upsert.Parameters.Add("$version", SqliteType.Integer);
        var pGeom = upsert.Parameters.Add("$geom", SqliteType.Blob);
        var pProps = upsert.Parameters.Add("$props", SqliteType.Text);
        var pSearch = upsert.Parameters.Add("$search", SqliteType.Text);
        await using var index = c.CreateCommand();
        index.Transaction = tx;
        index.CommandText = $"INSERT OR REPLACE INTO {T(batch.Layer)}_rtree (rid, minx, maxx, miny, maxy) VALUES ($rid, $minx, $maxx, $miny, $maxy)";
        var pRid = index.Parameters.Add("$rid", SqliteType.Integer);
        var pMinX = index.Parameters.Add("$minx", SqliteType.Real);
        var pMaxX = index.Parameters.Add("$maxx", SqliteType.Real);
        var pMinY = index.Parameters.Add("$miny", SqliteType.Real);
        var pMaxY = index.Parameters.Add("$maxy", SqliteType.Real);
        var seen = new HashSet<string>();
        var version = 0L;
        foreach (var draft in batch.Features)
        {
            ct.ThrowIfCancellationRequested();
            if (!seen.Add(draft.Id))
                throw new DuplicateFeatureException(batch.Layer, draft.Id);
            pRecordId.Value = draft.Id;
            pId.Value = draft.Id;
            pVersion.Value = version = (long)(await record.ExecuteScalarAsync(ct))!;
            pGeom.Value = Wkb.Write(draft.Geometry);
            pProps.Value = draft.Properties.ToJsonString(PropsJson);
            pSearch.Value = SearchText.For(draft.Id, draft.Properties);
            var rid = (long)(await upsert.ExecuteScalarAsync(ct))!;
            var e = draft.Geometry.EnvelopeInternal;
            pRid.Value = rid;
            pMinX.Value = e.MinX;
            pMaxX.Value = e.MaxX;
            pMinY.Value = e.MinY;
            pMaxY.Value = e.MaxY;
            await index.ExecuteNonQueryAsync(ct);
        }
        return version;
    }

    public async Task<StoredSetting?> GetSettingAsync(string key, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version, value FROM settings WHERE key = $key";
        cmd.Parameters.AddWithValue("$key", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new StoredSetting(key, r.GetInt64(0), JsonNode.Parse(r.GetString(1))!.AsObject()) : null;
    }

    public async Task<long> PutSettingAsync(string key, JsonObject value, long expectedVersion, ChangeInfo? change = null, CancellationToken ct = default)
    {
        return await WriteAsync([Layer.Grids], change ?? ChangeInfo.System(ChangeKinds.Settings), null, async (c, tx, _) =>
        {
            await using (var q = c.CreateCommand())
            {
                q.Transaction = tx;
                q.CommandText = "SELECT version FROM settings WHERE key = $key";
                q.Parameters.AddWithValue("$key", key);
                var current = await q.ExecuteScalarAsync(ct) is long v ? v : 0;
                if (current != expectedVersion) throw new VersionConflictException(Layer.Grids, key, expectedVersion, current);
            }
            await using (var w = c.CreateCommand())
            {
                w.Transaction = tx;
                w.CommandText = "INSERT INTO settings (key, version, value) VALUES ($key, $v, $value) ON CONFLICT(key) DO UPDATE SET version = excluded.version, value = excluded.value";
                w.Parameters.AddWithValue("$key", key);
                w.Parameters.AddWithValue("$v", expectedVersion + 1);
                w.Parameters.AddWithValue("$value", value.ToJsonString());
                await w.ExecuteNonQueryAsync(ct);
            }
            return expectedVersion + 1;
        }, ct);
    }

    public async Task<IReadOnlyList<StoredFeature>> ContainingAsync(Layer layer, Point point, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT t.id, t.version, t.geom, t.props FROM {T(layer)} t JOIN {T(layer)}_rtree r ON r.rid = t.rid
            WHERE r.minx <= $x AND r.maxx >= $x AND r.miny <= $y AND r.maxy >= $y ORDER BY t.id
            """;
        cmd.Parameters.AddWithValue("$x", point.X);
        cmd.Parameters.AddWithValue("$y", point.Y);
        var result = new List<StoredFeature>();
        await foreach (var f in ReadAsync(layer, cmd, ct))
            if (f.Geometry.Covers(point)) result.Add(f);
        return result;
    }

    public async Task<IReadOnlyList<StoredFeature>> SearchAsync(string text, IReadOnlyList<Layer> layers, int limit, CancellationToken ct = default)
    {
        var result = new List<StoredFeature>();
        if (string.IsNullOrWhiteSpace(text) || limit <= 0) return result;
        var pattern = "%" + text.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        await using var c = await ConnectAsync(ct);
        foreach (var layer in layers)
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT id, version, geom, props FROM {T(layer)} WHERE search LIKE $p ESCAPE '\\' ORDER BY id LIMIT $limit";
            cmd.Parameters.AddWithValue("$p", pattern);
            cmd.Parameters.AddWithValue("$limit", limit - result.Count);
            await foreach (var f in ReadAsync(layer, cmd, ct)) result.Add(f);
            if (result.Count >= limit) break;
        }
        return result;
    }

    public async Task<IReadOnlyDictionary<Layer, long>> CountAsync(CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        var counts = new Dictionary<Layer, long>();
        foreach (var layer in Layers.All)
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM {T(layer)}";
            counts[layer] = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        return counts;
    }

    static string UpsertRowSql(Layer layer) => $"""
        INSERT INTO {T(layer)} (id, version, geom, props, search) VALUES ($id, $version, $geom, $props, $search)
        ON CONFLICT(id) DO UPDATE SET version = excluded.version, geom = excluded.geom, props = excluded.props, search = excluded.search
        RETURNING rid
        """;

    static async IAsyncEnumerable<StoredFeature> ReadAsync(Layer layer, SqliteCommand cmd, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            yield return new StoredFeature(
                layer, r.GetString(0), r.GetInt64(1),
                Wkb.Read((byte[])r.GetValue(2)),
                // The UTF-8 of the TEXT column as it is stored, parsed without a UTF-16 string in between.
                JsonNode.Parse(r.GetFieldValue<byte[]>(3))!.AsObject());
        }
    }

    static StoredFeature Stored(Layer layer, FeatureDraft d, long version) =>
        new(layer, d.Id, version, d.Geometry, (JsonObject)d.Properties.DeepClone());

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        return ValueTask.CompletedTask;
    }

    /// <summary>WKB with SRID; readers give the store's 4326 factory.</summary>
    static class Wkb
    {
        public static byte[] Write(Geometry g) => new WKBWriter().Write(g);

        // Read straight into the store's precision model and SRID: no second copy of every coordinate into its factory
        // (a tenth of a dense tile's read).
        static readonly NetTopologySuite.NtsGeometryServices Services =
            new(GeometryRules.Factory.CoordinateSequenceFactory, GeometryRules.Factory.PrecisionModel, GeometryRules.Factory.SRID);

        public static Geometry Read(byte[] bytes) => new WKBReader(Services).Read(bytes);
    }
}
