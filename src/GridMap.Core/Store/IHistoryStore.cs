using System.Text.Json.Nodes;
using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Store;

/// <summary>
/// Who made a write and why. Every write transaction of the store is one change set carrying this; the server gives the
/// signed-in name (or "anonymous"), the CLI "cli".
/// </summary>
/// <param name="Kind">What the write was: one of <see cref="ChangeKinds"/>.</param>
public sealed record ChangeInfo(string Author, string Kind, string? Summary = null)
{
    /// <summary>The change set this one undoes (a revert): the store marks it <c>reverted_by</c> in the same transaction.</summary>
    public long? Reverts { get; init; }

    /// <summary>What a write that names nobody records.</summary>
    public static ChangeInfo System(string kind) => new("system", kind);
}

public static class ChangeKinds
{
    public const string Create = "create";
    public const string Replace = "replace";
    public const string Delete = "delete";
    public const string Import = "import";
    public const string Assign = "assign";
    public const string Rebalance = "rebalance";
    public const string PartitionAccept = "partition_accept";
    public const string Recoding = "recoding";
    public const string Restore = "restore";
    public const string Revert = "revert";
    public const string Settings = "settings";
    public const string Seed = "seed";
    /// <summary>A multi-feature write whose caller named no kind.</summary>
    public const string Apply = "apply";
}

/// <summary>One write transaction: who, what kind, when, and whether it was reverted (or reverts another).</summary>
/// <param name="Counts">Features it changed, by layer.</param>
public sealed record ChangeSet(long Id, string Author, string Kind, string? Summary, DateTimeOffset At, long? Reverts, long? RevertedBy,
    IReadOnlyDictionary<Layer, long> Counts);

/// <summary>
/// What one change set did to one feature: the version before (0: it created it) and after (0: it deleted it), and the
/// value before (null when it created it). Rows are only ever appended.
/// </summary>
public sealed record HistoryEntry(long ChangeId, Layer Layer, string Id, long VersionBefore, long VersionAfter, Geometry? Geometry, JsonObject? Properties)
{
    /// <summary>The value the feature had at <see cref="VersionBefore"/>, when known.</summary>
    public StoredFeature? Before => Geometry is null || Properties is null ? null : new(Layer, Id, VersionBefore, Geometry, Properties);
}

/// <summary>One change of a feature, with the change set that made it.</summary>
public sealed record FeatureRevision(ChangeSet Change, HistoryEntry Entry);

public sealed record ChangeSetPage(IReadOnlyList<ChangeSet> Changes, long NumberMatched);

/// <summary>
/// A feature a change set touched that later change sets touched again: their ids, oldest first, and the version the
/// newest left it at (0: deleted).
/// </summary>
public sealed record TouchedSince(Layer Layer, string Id, IReadOnlyList<long> Changes, long Version);

/// <summary>A layer version a write read (a layer import): it must still be current when the transaction writes.</summary>
public sealed record ExpectedLayerVersion(Layer Layer, long Version);

/// <summary>
/// The append-only history both stores keep beside the features: change sets (newest first) and, per feature, what each
/// change set did to it.
/// </summary>
public interface IHistoryStore
{
    /// <summary>Every change of one feature, newest first; works for deleted features too.</summary>
    Task<IReadOnlyList<FeatureRevision>> FeatureHistoryAsync(Layer layer, string id, int limit = 1000, CancellationToken ct = default);

    /// <summary>Change sets, newest first.</summary>
    Task<ChangeSetPage> ListChangesAsync(int limit, int offset, CancellationToken ct = default);

    Task<ChangeSet?> GetChangeAsync(long id, CancellationToken ct = default);

    /// <summary>What one change set did, feature by feature in layer and id order; old values only when asked.</summary>
    Task<IReadOnlyList<HistoryEntry>> ChangeEntriesAsync(long id, int limit, int offset, bool withValues, CancellationToken ct = default);

    /// <summary>Features of change set <paramref name="id"/> that later change sets touched.</summary>
    Task<IReadOnlyList<TouchedSince>> TouchedSinceAsync(long id, CancellationToken ct = default);

    /// <summary>Each layer's version: raised once by every transaction that changes the layer (0: never written).</summary>
    Task<IReadOnlyDictionary<Layer, long>> LayerVersionsAsync(CancellationToken ct = default);
}

/// <summary>A layer changed since the version a write read.</summary>
public sealed class LayerVersionConflictException(Layer layer, long expected, long current)
    : Exception($"layer {layer.Key()} is at version {current}, not {expected}: someone else changed it")
{
    public Layer Layer { get; } = layer;
    public long Expected { get; } = expected;
    public long Current { get; } = current;
}
