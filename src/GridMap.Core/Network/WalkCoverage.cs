using System.Diagnostics;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Network;

/// <summary>A building (or any place people live) with its households, and the community and grid it belongs to when known; lon/lat.</summary>
public sealed record CoveragePlace(string Id, int Households, Geometry Geometry, string? Community = null, string? Grid = null);

/// <summary>A station with its kind key (null when not given); lon/lat.</summary>
public sealed record CoverageStation(string Id, string? Kind, Point Location);

/// <summary>A threshold as given ("5" minutes or "300" metres) and its walking distance in metres.</summary>
public sealed record CoverageThreshold(string Label, double Metres);

/// <summary>Walking speed profiles (m/s): adult 4.5 km/h, elderly 3.3 km/h.</summary>
public static class WalkingSpeed
{
    public const double AdultKmh = 4.5;
    public const double ElderlyKmh = 3.3;

    public static double MetresPerSecond(double kmh) => kmh * 1000 / 3600;

    /// <summary>km/h of a profile ("adult", "elderly") or as given; throws <see cref="ArgumentException"/> naming the bad parameter.</summary>
    public static double Kmh(string? profile, double? kmh)
    {
        if (profile is not null && kmh is not null) throw new ArgumentException("give a profile or a speed, not both", "profile");
        var value = profile switch
        {
            null => kmh ?? AdultKmh,
            "adult" => AdultKmh,
            "elderly" => ElderlyKmh,
            _ => throw new ArgumentException($"must be adult or elderly, not '{profile}'", "profile"),
        };
        if (!(value > 0 && value < 20)) throw new ArgumentException("must be between 0 and 20 km/h", "speed-kmh");
        return value;
    }
}

/// <summary>Thresholds as planners give them: minutes at a walking speed, metres, or the GB 50180 radius of a station kind.</summary>
public static class CoverageThresholds
{
    /// <summary>
    /// <paramref name="minutes"/> (a comma-separated list, at the speed) or <paramref name="meters"/>; else the GB 50180
    /// radius of <paramref name="kind"/>; else 5, 10 and 15 minutes. Throws <see cref="ArgumentException"/> naming the bad parameter.
    /// </summary>
    public static IReadOnlyList<CoverageThreshold> From(string? minutes, string? meters, string? kind, double speedMetresPerSecond)
    {
        if (minutes is not null && meters is not null) throw new ArgumentException("give minutes or meters, not both", "minutes");
        if (meters is not null) return Parse(meters, "meters", MaxMeters).Select(m => new CoverageThreshold(Label(m), m)).ToList();
        if (minutes is not null) return Parse(minutes, "minutes", MaxMinutes).Select(m => new CoverageThreshold(Label(m), m * 60 * speedMetresPerSecond)).ToList();
        if (kind is not null && Model.StationKinds.All.FirstOrDefault(k => k.Key == kind)?.PresetMeters is { } preset)
            return [new CoverageThreshold(Label(preset), preset)];
        return new double[] { 5, 10, 15 }.Select(m => new CoverageThreshold(Label(m), m * 60 * speedMetresPerSecond)).ToList();
    }

    /// <summary>
    /// The largest thresholds taken (<see cref="ArgumentOutOfRangeException"/> beyond): a 15-minute life circle is the
    /// planning unit, an hour's walk or 5 km is far past any station's catchment, and the cost of a threshold grows with
    /// the network it reaches (minutes=99999 cost 7 s of CPU).
    /// </summary>
    public const double MaxMinutes = 60, MaxMeters = 5000;

    static double[] Parse(string list, string name, double max)
    {
        var values = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 && d < 1e6 ? d : double.NaN)
            .ToArray();
        if (values.Length is 0 or > 10 || values.Any(double.IsNaN))
            throw new ArgumentException("must be a comma-separated list of up to 10 positive numbers, e.g. 5,10,15", name);
        if (values.Max() > max) throw new ArgumentOutOfRangeException(name, $"must be at most {Label(max)} (got {Label(values.Max())})");
        return values;
    }

    public static string Label(double v) => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What <see cref="WalkCoverage.Compute"/> needs: places, stations, the walkable lines (lon/lat; null or empty for the
/// straight-line fallback), the thresholds and the walking speed; places and stations attach only to network
/// components of at least <see cref="MinComponentNodes"/> nodes (<see cref="WalkNetwork"/>).
/// </summary>
public sealed record CoverageInput(
    IReadOnlyList<CoveragePlace> Places, IReadOnlyList<CoverageStation> Stations, IReadOnlyList<LineString>? Network,
    IReadOnlyList<CoverageThreshold> Thresholds, double SpeedMetresPerSecond)
{
    public int MinComponentNodes { get; init; } = WalkNetwork.DefaultMinComponentNodes;
}

/// <summary>One network island left out (lon/lat): node and edge counts, total length (m), a node of it and its bounds [minLon, minLat, maxLon, maxLat].</summary>
public sealed record NetworkIslandReport(int Nodes, int Edges, double LengthM, double[] At, double[] Bbox);

/// <summary>
/// The walking network's connected components: how many, the largest's node count, the threshold in force
/// (min(min_component_nodes, largest)), and the islands no building or station attaches to — their count, nodes, edges
/// and total length, and each of them, largest first.
/// </summary>
public sealed record NetworkIslands(int Components, int LargestComponentNodes, int AttachMinNodes, int Count, int Nodes, int Edges,
    double LengthM, IReadOnlyList<NetworkIslandReport> Islands)
{
    /// <summary>The islands of a model's network, in lon/lat; null without a network.</summary>
    public static NetworkIslands? Of(WalkModel model)
    {
        if (model.Network is not { } n) return null;
        double[] LonLat(Coordinate c)
        {
            var g = model.Projection.Unproject(c);
            return [Math.Round(g.X, 7), Math.Round(g.Y, 7)];
        }
        var islands = n.Islands.Select(i => new NetworkIslandReport(i.Nodes, i.Edges, Math.Round(i.Length, 1), LonLat(i.At),
            [.. LonLat(new Coordinate(i.Bounds.MinX, i.Bounds.MinY)), .. LonLat(new Coordinate(i.Bounds.MaxX, i.Bounds.MaxY))])).ToList();
        return new NetworkIslands(n.ComponentCount, n.ComponentSize.DefaultIfEmpty(0).Max(), n.AttachMinNodes, islands.Count,
            islands.Sum(i => i.Nodes), islands.Sum(i => i.Edges), Math.Round(n.Islands.Sum(i => i.Length), 1), islands);
    }
}

/// <summary>A place's nearest station and the walk to it; null metres when no station can be reached.</summary>
public sealed record PlaceReach(string Id, string? Station, double? Metres, double? Minutes);

/// <summary>
/// Coverage in numbers: per threshold label the covered share of households (0..1) and the uncovered households;
/// households beyond every threshold; each station's load (households for which it is the nearest); places cut off
/// from every station; "network" or "euclidean"; compute seconds.
/// </summary>
public sealed record CoverageReport(
    IReadOnlyDictionary<string, double> Coverage, long UncoveredHouseholds, IReadOnlyDictionary<string, long> UncoveredByThreshold,
    IReadOnlyDictionary<string, long> StationLoad, IReadOnlyList<string> Unreachable, string Mode, long Households, int Places,
    int Stations, double Seconds)
{
    /// <summary>Per community code (of places that carry one): the covered share of its households per threshold.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? ByCommunity { get; init; }

    /// <summary>Per grid code (of places that carry one): the covered share of its households per threshold.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? ByGrid { get; init; }

    /// <summary>Per station kind (when the stations are of several kinds): the covered share of all households per threshold, by the nearest station of that kind.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? ByKind { get; init; }

    /// <summary>Places and stations attach only to network components of at least this many nodes (null without a network).</summary>
    public int? MinComponentNodes { get; init; }

    /// <summary>The network's pieces left out by <see cref="MinComponentNodes"/> (null without a network).</summary>
    public NetworkIslands? NetworkIslands { get; init; }
}

public sealed record CoverageResult(IReadOnlyList<PlaceReach> Places, CoverageReport Report)
{
    /// <summary>Per station kind (when the stations are of several kinds): every place's nearest station of that kind and the walk to it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PlaceReach>>? PlacesByKind { get; init; }
}

/// <summary>
/// Who reaches a station on foot: every place's walk to its nearest station over the walking network (or in a straight
/// line when there is no network, labelled "euclidean"), and the coverage that gives at each threshold. Numbers come
/// from per-place walks, never from polygons.
/// </summary>
public static class WalkCoverage
{
    public static CoverageResult Compute(CoverageInput input)
    {
        var clock = Stopwatch.StartNew();
        var model = WalkModel.Build(input.Places.Select(p => p.Geometry), input.Stations.Select(s => s.Location), input.Network,
            minComponentNodes: input.MinComponentNodes);
        return Compute(input, model, clock);
    }

    /// <summary>Coverage on a model already built from the same places, stations and network.</summary>
    public static CoverageResult Compute(CoverageInput input, WalkModel model, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        var (places, stations, mode) = (model.Places, model.Stations, model.Mode);
        var reach = model.Nearest();

        var results = new PlaceReach[places.Length];
        var households = input.Places.Sum(p => (long)p.Households);
        var covered = new long[input.Thresholds.Count];
        var load = new long[stations.Length];
        var thresholds = input.Thresholds.Select(t => t.Metres).ToArray();
        var unreachable = new List<string>();
        long beyondAll = 0;
        var largest = input.Thresholds.Count == 0 ? double.PositiveInfinity : input.Thresholds.Max(t => t.Metres);
        for (var i = 0; i < places.Length; i++)
        {
            var place = input.Places[i];
            var r = reach[i];
            if (!r.Reachable)
            {
                results[i] = new PlaceReach(place.Id, null, null, null);
                unreachable.Add(place.Id);
                beyondAll += place.Households;
                continue;
            }
            results[i] = new PlaceReach(place.Id, input.Stations[r.Station].Id, r.Metres, r.Metres / input.SpeedMetresPerSecond / 60);
            load[r.Station] += place.Households;
            for (var t = 0; t < thresholds.Length; t++)
                if (r.Metres <= thresholds[t]) covered[t] += place.Households;
            if (r.Metres > largest) beyondAll += place.Households;
        }
        var coverage = new Dictionary<string, double>();
        var uncovered = new Dictionary<string, long>();
        for (var t = 0; t < covered.Length; t++)
        {
            coverage[input.Thresholds[t].Label] = households == 0 ? 1 : (double)covered[t] / households;
            uncovered[input.Thresholds[t].Label] = households - covered[t];
        }
        var loads = new Dictionary<string, long>(stations.Length);
        for (var k = 0; k < stations.Length; k++) loads[input.Stations[k].Id] = load[k];
        var byKind = PlacesByKind(input, model.Nearest);
        var report = new CoverageReport(coverage, beyondAll, uncovered, loads, unreachable, mode, households, places.Length,
            stations.Length, clock.Elapsed.TotalSeconds)
        {
            ByCommunity = Shares(input, results, p => p.Community),
            ByGrid = Shares(input, results, p => p.Grid),
            ByKind = byKind?.ToDictionary(k => k.Key, k => (IReadOnlyDictionary<string, double>)input.Thresholds.ToDictionary(t => t.Label,
                t => households == 0 ? 1 : (double)input.Places.Where((_, i) => k.Value[i].Metres <= t.Metres).Sum(p => (long)p.Households) / households)),
            MinComponentNodes = model.Network?.MinComponentNodes,
            NetworkIslands = NetworkIslands.Of(model),
        };
        return new CoverageResult(results, report) { PlacesByKind = byKind };
    }

    /// <summary>Each kind's own nearest station for every place, when there are several kinds; null otherwise.</summary>
    static SortedDictionary<string, IReadOnlyList<PlaceReach>>? PlacesByKind(CoverageInput input, Func<IReadOnlyList<int>, StationReach[]> nearest)
    {
        var kinds = input.Stations.Select((s, i) => (s.Kind, i)).Where(x => x.Kind is not null).GroupBy(x => x.Kind!).ToList();
        if (kinds.Count < 2) return null;
        var result = new SortedDictionary<string, IReadOnlyList<PlaceReach>>(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            var indices = kind.Select(x => x.i).ToList();
            var reach = nearest(indices);
            result[kind.Key] = input.Places.Select((p, i) => reach[i].Reachable
                ? new PlaceReach(p.Id, input.Stations[indices[reach[i].Station]].Id, reach[i].Metres, reach[i].Metres / input.SpeedMetresPerSecond / 60)
                : new PlaceReach(p.Id, null, null, null)).ToList();
        }
        return result;
    }

    /// <summary>Covered share per threshold for each group of places (by community, by grid); null when no place names one.</summary>
    static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? Shares(CoverageInput input, PlaceReach[] reach, Func<CoveragePlace, string?> key)
    {
        if (!input.Places.Any(p => key(p) is not null)) return null;
        var groups = input.Places.Select((p, i) => (Key: key(p), Place: p, Reach: reach[i])).Where(x => x.Key is not null).GroupBy(x => x.Key!).ToList();
        if (groups.Count == 0) return null;
        var result = new SortedDictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var total = g.Sum(x => (long)x.Place.Households);
            result[g.Key] = input.Thresholds.ToDictionary(t => t.Label, t => total == 0 ? 1
                : (double)g.Where(x => x.Reach.Metres is { } m && m <= t.Metres).Sum(x => (long)x.Place.Households) / total);
        }
        return result;
    }
}
