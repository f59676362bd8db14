using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Lookup;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Coverage;

/// <summary>
/// The store's buildings, stations, walking network and walled compounds as one walking model, with the generation it was built at.
/// <see cref="For"/> gives the model of a subset of the stations (one kind) on the same graph and building anchors.
/// </summary>
public sealed record WalkSetting(long Generation, WalkModel Model, IReadOnlyList<CoveragePlace> Places, IReadOnlyList<Station> Stations, int WalkableLines)
{
    /// <summary>Per place (same order as <see cref="Places"/>): its address and compound id, for the lists of a gap.</summary>
    public IReadOnlyList<PlaceNote> Notes { get; init; } = [];

    /// <summary>Compound id → name, of every compound in the store (walled or not).</summary>
    public IReadOnlyDictionary<string, string> CompoundNames { get; init; } = new Dictionary<string, string>();

    /// <summary>The communities, to place a building that names none (kept for patches: a community write builds again).</summary>
    public AreaLocator? Communities { get; init; }

    /// <summary>Where the store's history stood when the layers were read (null: not from a store).</summary>
    internal FeedMark? Mark { get; init; }

    /// <summary>Ids of the compounds with gates (walled): a write to one of them builds the model again.</summary>
    internal IReadOnlySet<string> WalledCompounds { get; init; } = new HashSet<string>();

    /// <summary>
    /// Each kind's walk labels for lookups (null without a network): made on first use, or handed over patched from the
    /// setting before.
    /// </summary>
    internal StationKindLabels? KindLabels
    {
        get => LazyInitializer.EnsureInitialized(ref _kindLabels, ref _kindLabelsMade, ref _kindLabelsLock, () => StationKindLabels.Build(Model, Stations));
        init => (_kindLabels, _kindLabelsMade) = (value, value is not null);
    }
    StationKindLabels? _kindLabels;

    /// <summary>The labels if made already (a patch carries them over; it does not make them).</summary>
    internal StationKindLabels? KindLabelsIfMade => Volatile.Read(ref _kindLabelsMade) ? _kindLabels : null;
    bool _kindLabelsMade;
    object? _kindLabelsLock;

    /// <summary>Each station kind, in order of first appearance, and its stations' indices into <see cref="Stations"/>.</summary>
    internal IReadOnlyList<(string Kind, int[] Indices)> KindIndices => _kindIndices ??= Enumerable.Range(0, Stations.Count)
        .GroupBy(i => Stations[i].Kind, StringComparer.Ordinal).Select(g => (g.Key, g.ToArray())).ToList();
    IReadOnlyList<(string Kind, int[] Indices)>? _kindIndices;

    /// <summary>Station id → index into <see cref="Stations"/>.</summary>
    internal IReadOnlyDictionary<string, int> StationIndex => _stationIndex ??= Enumerable.Range(0, Stations.Count)
        .GroupBy(i => Stations[i].Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    IReadOnlyDictionary<string, int>? _stationIndex;

    /// <summary>The model for one other min_component_nodes than the default, kept until another is asked for.</summary>
    Tuple<int, Lazy<WalkModel>>? _other;

    /// <summary>
    /// The model with places and stations attached to network components of at least <paramref name="minComponentNodes"/>
    /// nodes: <see cref="Model"/> for the default; otherwise re-attached once and kept (one such model at a time).
    /// </summary>
    public WalkModel ModelFor(int minComponentNodes)
    {
        if (Model.Network is null || Model.Network.MinComponentNodes == minComponentNodes) return Model;
        var other = Volatile.Read(ref _other);
        if (other is not null && other.Item1 == minComponentNodes) return other.Item2.Value;
        var made = Tuple.Create(minComponentNodes, new Lazy<WalkModel>(() => Model.WithMinComponentNodes(minComponentNodes)));
        Volatile.Write(ref _other, made);
        return made.Item2.Value;
    }

    /// <summary>The stations of <paramref name="kind"/> (all when null), their indices into <see cref="Stations"/>, and the model over them.</summary>
    public (IReadOnlyList<int> Indices, WalkModel Model) For(string? kind, int minComponentNodes = WalkNetwork.DefaultMinComponentNodes)
    {
        var model = ModelFor(minComponentNodes);
        if (kind is null) return (Enumerable.Range(0, Stations.Count).ToList(), model);
        var indices = Enumerable.Range(0, Stations.Count).Where(i => Stations[i].Kind == kind).ToList();
        return (indices, model.WithStations(indices.Select(i => Stations[i].Location)));
    }
}

/// <summary>What the lists of the map say about a place besides its walk: its address and compound (ids as stored).</summary>
public sealed record PlaceNote(string? Address, string? Compound);

/// <summary>
/// Holds the walking model in memory, built on first use. A write to buildings, stations, compounds or the network —
/// through this server, or (PostGIS) through any replica, whose NOTIFY <see cref="StoreChangeListener"/> turns into the
/// same store event — marks it stale at once, and the next use waits for the features written since to be patched in
/// (<see cref="WalkSettingPatch"/>): found through the store's history (<see cref="StoreChangeFeed"/>), read by id, a
/// station re-attached and its kind's walk labels updated from the nodes it changes (as the what-if does), a building
/// re-attached. Only a write to the network, to a walled compound or to the communities (which place buildings that
/// name none), or one the history cannot account for, builds the model again from the layers.
/// </summary>
public sealed class WalkModelCache : IDisposable
{
    internal static readonly Layer[] Inputs = [Layer.Buildings, Layer.Stations, Layer.Network, Layer.Compounds, Layer.Communities];
    readonly IFeatureStore _store;
    readonly object _gate = new();
    long _generation;
    /// <summary>The newest model (or its making) and the generation it is for; read without the lock on the hot path.</summary>
    volatile Current? _current;

    sealed record Current(long Generation, Task<WalkSetting> Task);
    int _fullBuilds;
    int _patches;

    public WalkModelCache(IFeatureStore store)
    {
        _store = store;
        _store.Changed += OnChanged;
    }

    /// <summary>Bumped on every change to an input layer; a model older than it is never handed out again.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>How many times the model was built from the whole layers.</summary>
    internal int FullBuilds => Volatile.Read(ref _fullBuilds);

    /// <summary>How many times written features were patched into the model.</summary>
    internal int Patches => Volatile.Read(ref _patches);

    void OnChanged(Layer layer)
    {
        if (!Inputs.Contains(layer)) return;
        Interlocked.Increment(ref _generation);
    }

    public Task<WalkSetting> GetAsync(CancellationToken ct)
    {
        // Every lookup comes here: no lock while the model is current.
        if (_current is { } now && now.Generation == Interlocked.Read(ref _generation) && now.Task.IsCompletedSuccessfully) return now.Task;
        lock (_gate)
        {
            var generation = Interlocked.Read(ref _generation);
            if (_current is { } c && c.Generation == generation && !c.Task.IsFaulted && !c.Task.IsCanceled) return c.Task;
            // Built without the caller's token: other requests share the build.
            var task = CatchUpAsync(_current?.Task, generation);
            _current = new Current(generation, task);
            return task;
        }
    }

    async Task<WalkSetting> CatchUpAsync(Task<WalkSetting>? previous, long generation)
    {
        WalkSetting? before = null;
        if (previous is not null)
            try { before = await previous; }
            catch (Exception) { before = null; }
        if (before?.Mark is not { } mark) return await BuildAsync(generation);
        var (next, changed) = await StoreChangeFeed.SinceAsync(_store, mark, Inputs, CancellationToken.None);
        if (changed[Layer.Network] is not { Count: 0 } || changed[Layer.Communities] is not { Count: 0 } || changed[Layer.Buildings] is null || changed[Layer.Stations] is null || changed[Layer.Compounds] is null)
            return await BuildAsync(generation);
        async Task<Dictionary<string, StoredFeature?>> Read(Layer layer)
        {
            var now = new Dictionary<string, StoredFeature?>(StringComparer.Ordinal);
            foreach (var id in changed[layer]!) now[id] = await _store.GetAsync(layer, id, CancellationToken.None);
            return now;
        }
        var compounds = await Read(Layer.Compounds);
        var buildings = await Read(Layer.Buildings);
        var stations = await Read(Layer.Stations);
        var patched = await Task.Run(() => WalkSettingPatch.Apply(before, generation, next, compounds, buildings, stations));
        if (patched is null) return await BuildAsync(generation);
        Interlocked.Increment(ref _patches);
        return patched;
    }

    async Task<WalkSetting> BuildAsync(long generation)
    {
        Interlocked.Increment(ref _fullBuilds);
        var mark = await StoreChangeFeed.MarkAsync(_store, CancellationToken.None);
        var residential = (await StoreReads.AllAsync(_store, Layer.Buildings, null, CancellationToken.None)).Select(Building.From)
            .Where(b => b.Households > 0).ToList();
        // A building that names no community (OSM imports: the import forms the communities) counts in the one it lies in.
        var communities = new AreaLocator((await StoreReads.AllAsync(_store, Layer.Communities, null, CancellationToken.None))
            .Select(Area.From).Select(a => (a.Code, a.Geometry)));
        var buildings = residential.Select(b => WalkSettingPatch.Place(b, communities)).ToList();
        var stations = (await StoreReads.AllAsync(_store, Layer.Stations, null, CancellationToken.None)).Select(Station.From).ToList();
        var lines = (await StoreReads.AllAsync(_store, Layer.Network, null, CancellationToken.None))
            .SelectMany(WalkLine.From).Where(l => l.Walkable).Select(l => l.Line).ToList();
        // Compounds with gates are walled: their buildings walk out through the gates.
        var compounds = (await StoreReads.AllAsync(_store, Layer.Compounds, null, CancellationToken.None)).Select(Compound.From).ToList();
        var walled = compounds.Where(c => c.Gates.Count > 0).Select(c => new WalledCompound(c.Geometry, c.Gates)).ToList();
        var model = await Task.Run(() => WalkModel.Build(buildings.Select(b => b.Geometry), stations.Select(s => s.Location), lines, walled));
        return new WalkSetting(generation, model, buildings, stations, lines.Count)
        {
            Notes = residential.Select(WalkSettingPatch.Note).ToList(),
            CompoundNames = compounds.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name),
            Mark = mark,
            WalledCompounds = compounds.Where(c => c.Gates.Count > 0).Select(c => c.Id).ToHashSet(StringComparer.Ordinal),
            Communities = communities,
        };
    }

    public void Dispose() => _store.Changed -= OnChanged;
}

/// <summary>On the PostGIS store: LISTENs for writes from every replica, so that each drops its walking model.</summary>
public sealed class StoreChangeListener(IFeatureStore store) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        store is GridMap.Storage.PostGis.PostGisStore postgis ? postgis.ListenAsync(stoppingToken) : Task.CompletedTask;
}
