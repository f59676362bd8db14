using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Server.Lookup;

/// <summary>
/// One feature of an area layer as a lookup needs it: where it is (a point locator ready to answer), its area (the
/// smallest containing feature wins), whether it is retired, and the part of the answer it gives, made once.
/// </summary>
sealed class AreaEntry
{
    public string Id { get; }
    public Envelope Envelope { get; }
    public double Area { get; }
    public bool Retired { get; }
    public object Answer { get; }
    readonly Geometry _geometry;
    readonly IPointOnGeometryLocator? _locator;

    /// <summary>Above this many vertices a polygon gets an indexed locator; below it a ray crossing is as quick.</summary>
    const int IndexedFrom = 40;

    public AreaEntry(StoredFeature f, object answer)
    {
        Id = f.Id;
        _geometry = f.Geometry;
        Envelope = f.Geometry.EnvelopeInternal;
        Area = f.Geometry.Area;
        Retired = f.Text("status") == "retired";
        Answer = answer;
        if (f.Geometry is IPolygonal && f.Geometry.NumPoints >= IndexedFrom)
        {
            _locator = new IndexedPointInAreaLocator(f.Geometry);
            _locator.Locate(Envelope.Centre); // builds the index now, not under the first requests
        }
    }

    /// <summary>As the stores' <c>ContainingAsync</c>: the geometry covers the point (inside or on its boundary).</summary>
    public bool Covers(Coordinate at, Point point)
    {
        if (!Envelope.Covers(at)) return false;
        if (_locator is not null) return _locator.Locate(at) != Location.Exterior;
        if (_geometry is IPolygonal) return SimplePointInAreaLocator.Locate(at, _geometry) != Location.Exterior;
        return _geometry.Covers(point);
    }
}

/// <summary>
/// An area layer in memory, immutable: an STR-tree over the features read in one go, and the features written since
/// (replacing or deleting some of those) beside it, until there are enough of them to build the tree again.
/// </summary>
sealed class AreaLayerIndex
{
    readonly STRtree<AreaEntry> _tree;
    readonly IReadOnlySet<string> _gone;
    readonly IReadOnlyDictionary<string, AreaEntry> _extra;
    readonly IReadOnlyList<AreaEntry> _all;

    /// <summary>Features written since the tree was built beyond which it is built again.</summary>
    const int RebuildAfter = 256;

    AreaLayerIndex(IReadOnlyList<AreaEntry> all, STRtree<AreaEntry> tree, IReadOnlySet<string> gone, IReadOnlyDictionary<string, AreaEntry> extra)
    {
        _all = all;
        _tree = tree;
        _gone = gone;
        _extra = extra;
    }

    public static AreaLayerIndex Build(IEnumerable<AreaEntry> entries)
    {
        var all = entries.ToList();
        var tree = new STRtree<AreaEntry>();
        foreach (var e in all) tree.Insert(e.Envelope, e);
        tree.Build();
        return new AreaLayerIndex(all, tree, new HashSet<string>(), new Dictionary<string, AreaEntry>());
    }

    /// <summary>This index with the given features replaced (an entry) or gone (null).</summary>
    public AreaLayerIndex With(IReadOnlyDictionary<string, AreaEntry?> written)
    {
        var gone = new HashSet<string>(_gone, StringComparer.Ordinal);
        var extra = new Dictionary<string, AreaEntry>(_extra, StringComparer.Ordinal);
        foreach (var (id, entry) in written)
        {
            gone.Add(id);
            if (entry is null) extra.Remove(id);
            else extra[id] = entry;
        }
        if (extra.Count + gone.Count <= RebuildAfter) return new AreaLayerIndex(_all, _tree, gone, extra);
        return Build(_all.Where(e => !gone.Contains(e.Id)).Concat(extra.Values));
    }

    /// <summary>
    /// The feature a lookup names: the smallest non-retired one covering the point, the lowest id among equals (the
    /// stores list by id and the lookup took the first of the smallest).
    /// </summary>
    public AreaEntry? At(Coordinate at, Point point)
    {
        AreaEntry? best = null;
        void Consider(AreaEntry e)
        {
            if (e.Retired || !e.Covers(at, point)) return;
            if (best is null || e.Area < best.Area || (e.Area == best.Area && string.CompareOrdinal(e.Id, best.Id) < 0)) best = e;
        }
        foreach (var e in _tree.Query(new Envelope(at)))
            if (!_gone.Contains(e.Id)) Consider(e);
        foreach (var e in _extra.Values) Consider(e);
        return best;
    }
}

/// <summary>The area layers a lookup reads, each in memory, and where they stand in the store's history.</summary>
sealed record AreaSnapshot(FeedMark Mark, IReadOnlyDictionary<Layer, AreaLayerIndex> Layers);

/// <summary>
/// Holds the lookup's area layers (districts, streets, communities, compounds, grids, buildings) in memory. A write to
/// one of them marks the copy stale at once (the store raises <see cref="IFeatureStore.Changed"/> before the write is
/// answered), and the next lookup waits for the features written since to be patched in — read by id from the store,
/// found through its history (<see cref="StoreChangeFeed"/>) — so a lookup after an acknowledged write sees it, and
/// no write makes the next lookup read a whole layer unless the history cannot say what changed.
/// </summary>
public sealed class AreaIndexCache : IDisposable
{
    internal static readonly Layer[] Inputs = [Layer.Districts, Layer.Streets, Layer.Communities, Layer.Compounds, Layer.Grids, Layer.Buildings];
    readonly IFeatureStore _store;
    readonly object _gate = new();
    long _generation;
    /// <summary>The newest model (or its making) and the generation it is for; read without the lock on the hot path.</summary>
    volatile Current? _current;

    sealed record Current(long Generation, Task<AreaSnapshot> Task);
    int _fullBuilds;
    int _layerReads;

    public AreaIndexCache(IFeatureStore store)
    {
        _store = store;
        _store.Changed += OnChanged;
    }

    /// <summary>How many times every layer was read from the store (the first build, or after a failed catch-up).</summary>
    internal int FullBuilds => Volatile.Read(ref _fullBuilds);

    /// <summary>How many times one layer was read whole (including those of <see cref="FullBuilds"/>).</summary>
    internal int LayerReads => Volatile.Read(ref _layerReads);

    void OnChanged(Layer layer)
    {
        if (!Inputs.Contains(layer)) return;
        Interlocked.Increment(ref _generation);
    }

    internal Task<AreaSnapshot> GetAsync()
    {
        // Every lookup comes here: no lock while the model is current.
        if (_current is { } now && now.Generation == Interlocked.Read(ref _generation) && now.Task.IsCompletedSuccessfully) return now.Task;
        lock (_gate)
        {
            var generation = Interlocked.Read(ref _generation);
            if (_current is { } c && c.Generation == generation && !c.Task.IsFaulted && !c.Task.IsCanceled) return c.Task;
            var previous = _current?.Task;
            // Built without a caller's token: every request waiting shares it.
            var task = CatchUpAsync(previous);
            _current = new Current(generation, task);
            return task;
        }
    }

    async Task<AreaSnapshot> CatchUpAsync(Task<AreaSnapshot>? previous)
    {
        AreaSnapshot? before = null;
        if (previous is not null)
            try { before = await previous; }
            catch (Exception) { before = null; }
        if (before is null) return await FullAsync();
        var (mark, changed) = await StoreChangeFeed.SinceAsync(_store, before.Mark, Inputs, CancellationToken.None);
        var layers = new Dictionary<Layer, AreaLayerIndex>(before.Layers);
        foreach (var (layer, ids) in changed)
        {
            if (ids is null)
            {
                layers[layer] = await ReadLayerAsync(layer);
                continue;
            }
            if (ids.Count == 0) continue;
            var written = new Dictionary<string, AreaEntry?>(StringComparer.Ordinal);
            foreach (var id in ids)
                written[id] = await _store.GetAsync(layer, id, CancellationToken.None) is { } f ? Entry(f) : null;
            layers[layer] = layers[layer].With(written);
        }
        return new AreaSnapshot(mark, layers);
    }

    async Task<AreaSnapshot> FullAsync()
    {
        Interlocked.Increment(ref _fullBuilds);
        var mark = await StoreChangeFeed.MarkAsync(_store, CancellationToken.None);
        var layers = new Dictionary<Layer, AreaLayerIndex>();
        foreach (var layer in Inputs) layers[layer] = await ReadLayerAsync(layer);
        return new AreaSnapshot(mark, layers);
    }

    async Task<AreaLayerIndex> ReadLayerAsync(Layer layer)
    {
        Interlocked.Increment(ref _layerReads);
        var features = await StoreReads.AllAsync(_store, layer, null, CancellationToken.None);
        return await Task.Run(() => AreaLayerIndex.Build(features.Select(Entry)));
    }

    /// <summary>The part of a lookup's answer a feature gives, made once when it is read.</summary>
    static AreaEntry Entry(StoredFeature f) => new(f, f.Layer switch
    {
        Layer.Compounds => Compound.From(f) is var c ? new LookupApi.CompoundRef(c.Id, c.Name, c.Class) : null!,
        Layer.Grids => Grid.From(f),
        Layer.Buildings => Building.From(f) is var b
            ? new LookupApi.BuildingRef(b.Id, b.Households, b.Address, b.GridCode, LookupApi.GridCodesOf(f), f.Text("households_rule"))
            : null!,
        _ => new LookupApi.AreaRef(f.Text("code") ?? f.Id, f.Text("name") ?? ""),
    });

    public void Dispose() => _store.Changed -= OnChanged;
}
