using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
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
/// Holds the walking model in memory, built on first use, and drops it whenever buildings, stations, compounds,
/// communities or the network change — through this server, or (PostGIS) through any replica, whose NOTIFY <see cref="StoreChangeListener"/>
/// turns into the same store event.
/// </summary>
public sealed class WalkModelCache : IDisposable
{
    static readonly Layer[] Inputs = [Layer.Buildings, Layer.Stations, Layer.Network, Layer.Compounds, Layer.Communities];
    readonly IFeatureStore _store;
    readonly object _gate = new();
    long _generation;
    Task<WalkSetting>? _current;

    public WalkModelCache(IFeatureStore store)
    {
        _store = store;
        _store.Changed += OnChanged;
    }

    /// <summary>Bumped on every change to an input layer; a model built before it is never handed out again.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    void OnChanged(Layer layer)
    {
        if (!Inputs.Contains(layer)) return;
        lock (_gate)
        {
            _generation++;
            _current = null;
        }
    }

    public Task<WalkSetting> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_current is { IsFaulted: false, IsCanceled: false } current) return current;
            // Built without the caller's token: other requests share the build.
            return _current = BuildAsync(_generation);
        }
    }

    async Task<WalkSetting> BuildAsync(long generation)
    {
        var residential = (await StoreReads.AllAsync(_store, Layer.Buildings, null, CancellationToken.None)).Select(Building.From)
            .Where(b => b.Households > 0).ToList();
        // A building that names no community (OSM imports: the import forms the communities) counts in the one it lies in.
        var communities = new AreaLocator((await StoreReads.AllAsync(_store, Layer.Communities, null, CancellationToken.None))
            .Select(Area.From).Select(a => (a.Code, a.Geometry)));
        var buildings = residential.Select(b => new CoveragePlace(b.Id, b.Households, b.Geometry,
            b.CommunityCode ?? communities.Locate(AreaLocator.PointOf(b.Geometry)), b.GridCode)).ToList();
        var stations = (await StoreReads.AllAsync(_store, Layer.Stations, null, CancellationToken.None)).Select(Station.From).ToList();
        var lines = (await StoreReads.AllAsync(_store, Layer.Network, null, CancellationToken.None))
            .SelectMany(WalkLine.From).Where(l => l.Walkable).Select(l => l.Line).ToList();
        // Compounds with gates are walled: their buildings walk out through the gates.
        var compounds = (await StoreReads.AllAsync(_store, Layer.Compounds, null, CancellationToken.None)).Select(Compound.From).ToList();
        var walled = compounds.Where(c => c.Gates.Count > 0).Select(c => new WalledCompound(c.Geometry, c.Gates)).ToList();
        var model = await Task.Run(() => WalkModel.Build(buildings.Select(b => b.Geometry), stations.Select(s => s.Location), lines, walled));
        return new WalkSetting(generation, model, buildings, stations, lines.Count)
        {
            Notes = residential.Select(b => new PlaceNote(b.Address, b.Compound)).ToList(),
            CompoundNames = compounds.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name),
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
