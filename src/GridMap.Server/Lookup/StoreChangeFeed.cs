using GridMap.Core.Model;
using GridMap.Core.Store;

namespace GridMap.Server.Lookup;

/// <summary>
/// Where an in-memory copy of some layers stands: the newest change set it had seen and each layer's version when it
/// was read (<see cref="IHistoryStore.LayerVersionsAsync"/>).
/// </summary>
public sealed record FeedMark(long LastChange, IReadOnlyDictionary<Layer, long> Versions);

/// <summary>
/// Which features of a layer changed since a <see cref="FeedMark"/>, read from the store's history, so that an in-memory
/// model can patch those features instead of reading the whole layer again. The store tells the layer's version (raised
/// once by every transaction that changes it), so the answer is checked: the change sets found that touch a layer must
/// number exactly what its version rose by; when they do not (a change set committed out of id order, a settings write,
/// too many to patch) the layer is reported as unknown and its model must be built again from the layer.
/// </summary>
public static class StoreChangeFeed
{
    /// <summary>Beyond this many changed features of one layer, reading the layer again is as cheap.</summary>
    public const int MaxPatched = 500;

    /// <summary>Change sets looked at, at most, per catch-up.</summary>
    const int MaxChangeSets = 200;

    /// <summary>
    /// The mark to take before reading the layers a model is built from: anything committed meanwhile is either seen again
    /// by the next <see cref="SinceAsync"/> (patching is idempotent: a feature is read as it is now) or makes its count
    /// check fail, and the layer is read again.
    /// </summary>
    public static async Task<FeedMark> MarkAsync(IFeatureStore store, CancellationToken ct)
    {
        // A commit between the two reads would be counted by one and not the other: read again until they agree.
        for (var attempt = 0; ; attempt++)
        {
            var last = await LastChangeAsync(store, ct);
            var versions = await store.LayerVersionsAsync(ct);
            if (await LastChangeAsync(store, ct) == last || attempt == 3) return new FeedMark(last, versions);
        }
    }

    static async Task<long> LastChangeAsync(IFeatureStore store, CancellationToken ct) =>
        (await store.ListChangesAsync(1, 0, ct)).Changes.FirstOrDefault()?.Id ?? 0;

    /// <summary>Change sets after <paramref name="after"/>, newest first, and whether that is all of them.</summary>
    static async Task<(List<ChangeSet> Sets, bool Complete)> ChangeSetsAfterAsync(IFeatureStore store, long after, CancellationToken ct)
    {
        var sets = new List<ChangeSet>();
        for (var offset = 0; offset < MaxChangeSets; offset += 50)
        {
            var page = await store.ListChangesAsync(50, offset, ct);
            foreach (var c in page.Changes)
            {
                if (c.Id <= after) return (sets, true);
                sets.Add(c);
            }
            if (page.Changes.Count < 50) return (sets, true);
        }
        return (sets, false);
    }

    /// <summary>
    /// The features of each of <paramref name="layers"/> changed since <paramref name="mark"/> (empty when its version did
    /// not move; null when they cannot be told and the layer must be read again), and the mark to keep for next time.
    /// </summary>
    public static async Task<(FeedMark Mark, IReadOnlyDictionary<Layer, IReadOnlyList<string>?> Changed)> SinceAsync(
        IFeatureStore store, FeedMark mark, IReadOnlyCollection<Layer> layers, CancellationToken ct)
    {
        IReadOnlyDictionary<Layer, long> versions;
        List<ChangeSet> sets;
        bool complete;
        var changed = layers.ToDictionary(l => l, _ => (IReadOnlyList<string>?)Array.Empty<string>());
        for (var attempt = 0; ; attempt++)
        {
            versions = await store.LayerVersionsAsync(ct);
            if (layers.All(l => versions.GetValueOrDefault(l) == mark.Versions.GetValueOrDefault(l))) return (mark with { Versions = versions }, changed);
            (sets, complete) = await ChangeSetsAfterAsync(store, mark.LastChange, ct);
            // A commit between the reads would be counted by one and not the other: read again until they agree.
            var again = await store.LayerVersionsAsync(ct);
            if (layers.All(l => again.GetValueOrDefault(l) == versions.GetValueOrDefault(l)) || attempt == 3) break;
        }
        var moved = layers.Where(l => versions.GetValueOrDefault(l) != mark.Versions.GetValueOrDefault(l)).ToList();
        var last = sets.Count > 0 ? sets.Max(c => c.Id) : mark.LastChange;
        foreach (var layer in moved)
        {
            var touching = sets.Where(c => c.Counts.GetValueOrDefault(layer) > 0).ToList();
            var rose = versions.GetValueOrDefault(layer) - mark.Versions.GetValueOrDefault(layer);
            if (!complete || touching.Count != rose || touching.Sum(c => c.Counts[layer]) > MaxPatched)
            {
                changed[layer] = null;
                continue;
            }
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in touching)
                foreach (var e in await store.ChangeEntriesAsync(c.Id, MaxPatched + 1, 0, false, ct))
                    if (e.Layer == layer) ids.Add(e.Id);
            changed[layer] = ids.ToList();
        }
        return (new FeedMark(last, versions), changed);
    }
}
