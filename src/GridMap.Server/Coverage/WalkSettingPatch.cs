using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Lookup;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Coverage;

/// <summary>
/// Each station kind's walk labels over the network — every node's nearest station of the kind and its walk — so that a
/// lookup's nearest station of a kind is one attach and a look at the two ends of an edge (<see cref="NodeLabels.ReachOf"/>),
/// not a walk from the point. <c>Members[i]</c> is the id of the kind's station i in its labels (null once removed).
/// </summary>
internal sealed class StationKindLabels(IReadOnlyDictionary<string, StationKindLabels.Kind> kinds)
{
    internal sealed record Kind(NodeLabels Labels, IReadOnlyList<string?> Members);

    public IReadOnlyDictionary<string, Kind> Kinds { get; } = kinds;

    public static StationKindLabels? Build(WalkModel model, IReadOnlyList<Station> stations)
    {
        if (model.Network is not { } network) return null;
        var kinds = new Dictionary<string, Kind>(StringComparer.Ordinal);
        foreach (var g in Enumerable.Range(0, stations.Count).GroupBy(i => stations[i].Kind, StringComparer.Ordinal))
            kinds[g.Key] = new Kind(new NodeLabels(network, g.Select(i => model.StationAnchors![i]).ToList()), g.Select(i => (string?)stations[i].Id).ToList());
        return new StationKindLabels(kinds);
    }

    /// <summary>
    /// These labels with stations taken away (<paramref name="removed"/>: kind and id) and put in (<paramref name="added"/>:
    /// kind, id, anchor): only the kinds touched are copied, and only the nodes whose nearest station changes are walked.
    /// </summary>
    public StationKindLabels With(WalkNetwork network, IEnumerable<(string Kind, string Id)> removed, IEnumerable<(string Kind, string Id, NetworkAnchor? Anchor)> added)
    {
        var kinds = new Dictionary<string, Kind>(Kinds, StringComparer.Ordinal);
        var copied = new HashSet<string>(StringComparer.Ordinal);
        (NodeLabels Labels, List<string?> Members) Mine(string kind)
        {
            if (copied.Add(kind))
                kinds[kind] = kinds.TryGetValue(kind, out var k)
                    ? new Kind(k.Labels.Clone(), new List<string?>(k.Members))
                    : new Kind(new NodeLabels(network, []), new List<string?>());
            return (kinds[kind].Labels, (List<string?>)kinds[kind].Members);
        }
        foreach (var (kind, id) in removed)
        {
            var (labels, members) = Mine(kind);
            var s = members.IndexOf(id);
            if (s < 0) continue;
            labels.Remove(s);
            members[s] = null;
        }
        foreach (var (kind, id, anchor) in added)
        {
            var (labels, members) = Mine(kind);
            labels.Add(labels.StationCount, anchor);
            members.Add(id);
        }
        return new StationKindLabels(kinds);
    }
}

/// <summary>
/// Puts features written since a <see cref="WalkSetting"/> was made into a new one, without building the model again:
/// buildings re-attached (the others keep their doors), stations re-attached and their kinds' walk labels updated from
/// the nodes that change, compound names replaced. Null when a patch cannot give what a full build would: a walled
/// compound written, or the places and stations moving into another projection zone.
/// </summary>
internal static class WalkSettingPatch
{
    /// <summary>A building as a place; one that names no community counts in the community it lies in.</summary>
    public static CoveragePlace Place(Building b, AreaLocator? communities) =>
        new(b.Id, b.Households, b.Geometry, b.CommunityCode ?? communities?.Locate(AreaLocator.PointOf(b.Geometry)), b.GridCode);

    public static PlaceNote Note(Building b) => new(b.Address, b.Compound);

    public static WalkSetting? Apply(WalkSetting before, long generation, FeedMark mark, IReadOnlyDictionary<string, StoredFeature?> compounds,
        IReadOnlyDictionary<string, StoredFeature?> buildings, IReadOnlyDictionary<string, StoredFeature?> stations)
    {
        // Compounds: only names matter to a model without walls; a wall (gates) moves buildings' doors: build again.
        var names = before.CompoundNames;
        if (compounds.Count > 0)
        {
            var copy = new Dictionary<string, string>(names);
            foreach (var (id, f) in compounds)
            {
                var c = f is null ? null : Compound.From(f);
                if (before.WalledCompounds.Contains(id) || c is { Gates.Count: > 0 }) return null;
                if (c is null) copy.Remove(id);
                else copy[id] = c.Name;
            }
            names = copy;
        }

        var model = before.Model;
        var places = before.Places;
        var notes = before.Notes;
        if (buildings.Count > 0)
        {
            var now = buildings.ToDictionary(b => b.Key, b => b.Value is null ? null : Building.From(b.Value) is { Households: > 0 } x ? x : null, StringComparer.Ordinal);
            var rows = new List<(int Reuse, CoveragePlace Place, PlaceNote Note)>(places.Count + now.Count);
            for (var i = 0; i < places.Count; i++)
            {
                if (!now.TryGetValue(places[i].Id, out var b)) rows.Add((i, places[i], notes[i]));
                else if (b is not null) rows.Add((-1, Place(b, before.Communities), Note(b)));
            }
            var present = places.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var b in now.Values.OfType<Building>().Where(b => !present.Contains(b.Id)).OrderBy(b => b.Id, StringComparer.Ordinal))
                rows.Insert(InsertAt(rows, r => r.Place.Id, b.Id), (-1, Place(b, before.Communities), Note(b)));
            places = rows.Select(r => r.Place).ToList();
            notes = rows.Select(r => r.Note).ToList();
            model = model.WithPlaces(places.Select(p => p.Geometry).ToList(), rows.Select(r => r.Reuse).ToList());
        }

        var list = before.Stations;
        var removed = new List<(string Kind, string Id)>();
        var added = new List<string>();
        if (stations.Count > 0)
        {
            var rows = new List<Station>(list.Count + stations.Count);
            foreach (var s in list)
            {
                if (!stations.TryGetValue(s.Id, out var f))
                {
                    rows.Add(s);
                    continue;
                }
                removed.Add((s.Kind, s.Id));
                if (f is not null)
                {
                    rows.Add(Station.From(f));
                    added.Add(s.Id);
                }
            }
            var present = list.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var (id, f) in stations.Where(s => s.Value is not null && !present.Contains(s.Key)).OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                rows.Insert(InsertAt(rows, s => s.Id, id), Station.From(f!));
                added.Add(id);
            }
            list = rows;
            model = model.WithStations(list.Select(s => s.Location));
        }

        // A full build projects into the zone of the places' and stations' centre: when that moves, so must the model.
        if (buildings.Count > 0 || stations.Count > 0)
        {
            var envelope = new Envelope();
            foreach (var p in places) envelope.ExpandToInclude(p.Geometry.EnvelopeInternal);
            foreach (var s in list) envelope.ExpandToInclude(s.Location.EnvelopeInternal);
            if (!envelope.IsNull && MetricProjection.ForLongitude(envelope.Centre.X).CentralMeridian != model.Projection.CentralMeridian) return null;
            if (envelope.IsNull && model.Projection.CentralMeridian != MetricProjection.ForLongitude(0).CentralMeridian) return null;
        }

        var labels = before.KindLabelsIfMade;
        if (labels is not null && stations.Count > 0)
        {
            var index = Enumerable.Range(0, list.Count).ToDictionary(i => list[i].Id, StringComparer.Ordinal);
            labels = labels.With(model.Network!, removed, added.Select(id => (list[index[id]].Kind, id, model.StationAnchors![index[id]])));
        }
        return new WalkSetting(generation, model, places, list, before.WalkableLines)
        {
            Notes = notes,
            CompoundNames = names,
            Mark = mark,
            WalledCompounds = before.WalledCompounds,
            KindLabels = labels,
            Communities = before.Communities,
        };
    }

    /// <summary>Where an id goes among rows in the store's (id) order: before the first greater one.</summary>
    static int InsertAt<T>(List<T> rows, Func<T, string> id, string newId)
    {
        var i = 0;
        while (i < rows.Count && string.CompareOrdinal(id(rows[i]), newId) < 0) i++;
        return i;
    }
}
