using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Store;

/// <summary>Which features of a layer to list: inside a lon/lat box, one page at a time, in id order.</summary>
public sealed record FeatureQuery(Envelope? Bbox = null, int Limit = 1000, int Offset = 0);

public sealed record FeaturePage(IReadOnlyList<StoredFeature> Features, long NumberMatched);

/// <summary>Features for one layer in an import.</summary>
public sealed record LayerBatch(Layer Layer, IReadOnlyList<FeatureDraft> Features);

public enum ImportMode
{
    /// <summary>Insert new ids, replace existing ones (their version rises).</summary>
    Upsert,
    /// <summary>Empty each imported layer first, then insert.</summary>
    ReplaceLayers,
}

/// <param name="ChangeId">The change set the import wrote.</param>
public sealed record ImportSummary(IReadOnlyDictionary<Layer, int> Written, long ChangeId = 0);

/// <summary>
/// The one narrow interface both stores implement (SQLite embedded, PostGIS production).
/// Every write is atomic; a write naming an <c>expectedVersion</c> that is no longer current
/// throws <see cref="VersionConflictException"/> and changes nothing. Every write is one change set (its <c>change</c>:
/// who and why; <see cref="ChangeInfo.System"/> when not given) and records, in the same transaction, the old value of every
/// feature it changes and raises the version of every layer it changes, once (<see cref="IHistoryStore"/>). A feature
/// created again after it was deleted continues its version numbers.
/// </summary>
public interface IFeatureStore : IJobStore, IHistoryStore, IAccountStore, IAsyncDisposable
{
    /// <summary>"sqlite" or "postgis".</summary>
    string Kind { get; }

    /// <summary>
    /// Raised after a write to a layer commits, so that in-memory models of it (the walking graph) can be dropped.
    /// The PostGIS store also raises it for writes by other processes, when something listens (<c>ListenAsync</c>).
    /// </summary>
    event Action<Layer>? Changed;

    Task<FeaturePage> ListAsync(Layer layer, FeatureQuery query, CancellationToken ct = default);

    Task<StoredFeature?> GetAsync(Layer layer, string id, CancellationToken ct = default);

    /// <summary>Adds a feature at version 1; throws <see cref="DuplicateFeatureException"/> when the id exists.</summary>
    Task<StoredFeature> CreateAsync(Layer layer, FeatureDraft draft, ChangeInfo? change = null, CancellationToken ct = default);

    /// <summary>Replaces a feature and raises its version; throws <see cref="FeatureNotFoundException"/> or <see cref="VersionConflictException"/>.</summary>
    Task<StoredFeature> ReplaceAsync(Layer layer, FeatureDraft draft, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default);

    Task DeleteAsync(Layer layer, string id, long? expectedVersion = null, ChangeInfo? change = null, CancellationToken ct = default);

    /// <summary>
    /// Writes all batches in one transaction: all or nothing. With <paramref name="expectedLayers"/>, each named layer must
    /// still be at that layer version when the transaction writes, else <see cref="LayerVersionConflictException"/>.
    /// </summary>
    Task<ImportSummary> ImportAsync(IReadOnlyList<LayerBatch> batches, ImportMode mode, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default);

    /// <summary>
    /// Deletes the named features (missing ones are ignored), then upserts the batches, in one transaction. When
    /// <paramref name="expected"/> is given, each named feature must still be at that version (0: must not exist) when the
    /// transaction starts writing, or <see cref="VersionConflictsException"/> is thrown listing every one that is not, and
    /// nothing is written. <paramref name="expectedLayers"/> as for <see cref="ImportAsync"/>.
    /// </summary>
    /// <returns>The id of the change set written (0 when there was nothing to write).</returns>
    Task<long> ApplyAsync(IReadOnlyList<(Layer Layer, string Id)> deletes, IReadOnlyList<LayerBatch> upserts,
        IReadOnlyList<ExpectedVersion>? expected = null, IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null,
        ChangeInfo? change = null, CancellationToken ct = default);

    /// <summary>A store setting (such as the band) and its version; null when it was never written.</summary>
    Task<StoredSetting?> GetSettingAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// Writes a setting; <paramref name="expectedVersion"/> is the version read (0 for one never written), else
    /// <see cref="VersionConflictException"/>. Returns the new version. A setting bears on grids (the band): it raises the
    /// grids' layer version, no grid's own.
    /// </summary>
    Task<long> PutSettingAsync(string key, System.Text.Json.Nodes.JsonObject value, long expectedVersion, ChangeInfo? change = null, CancellationToken ct = default);

    /// <summary>Polygons of a layer that contain the point (lon/lat).</summary>
    Task<IReadOnlyList<StoredFeature>> ContainingAsync(Layer layer, Point point, CancellationToken ct = default);

    /// <summary>Features whose code, name, worker names or address contain <paramref name="text"/> (case-insensitive).</summary>
    Task<IReadOnlyList<StoredFeature>> SearchAsync(string text, IReadOnlyList<Layer> layers, int limit, CancellationToken ct = default);

    Task<IReadOnlyDictionary<Layer, long>> CountAsync(CancellationToken ct = default);
}

/// <summary>The version a multi-feature write read of one feature (0: it did not exist).</summary>
public sealed record ExpectedVersion(Layer Layer, string Id, long Version);

public sealed record StoredSetting(string Key, long Version, System.Text.Json.Nodes.JsonObject Value);

/// <summary>Features a multi-feature write read that have changed since: with their current versions (0: gone).</summary>
public sealed class VersionConflictsException(IReadOnlyList<(ExpectedVersion Expected, long Current)> conflicts)
    : Exception($"{conflicts.Count} feature(s) changed since they were read: " + string.Join(", ", conflicts.Select(c => $"{c.Expected.Layer.Key()}/{c.Expected.Id} is at {c.Current}, not {c.Expected.Version}")))
{
    public IReadOnlyList<(ExpectedVersion Expected, long Current)> Conflicts { get; } = conflicts;
}

public sealed class FeatureNotFoundException(Layer layer, string id)
    : Exception($"{layer.Key()}/{id} does not exist")
{
    public Layer Layer { get; } = layer;
    public string Id { get; } = id;
}

public sealed class DuplicateFeatureException(Layer layer, string id)
    : Exception($"{layer.Key()}/{id} already exists")
{
    public Layer Layer { get; } = layer;
    public string Id { get; } = id;
}

public sealed class VersionConflictException(Layer layer, string id, long expected, long current)
    : Exception($"{layer.Key()}/{id} is at version {current}, not {expected}: someone else changed it")
{
    public Layer Layer { get; } = layer;
    public string Id { get; } = id;
    public long Expected { get; } = expected;
    public long Current { get; } = current;
}
