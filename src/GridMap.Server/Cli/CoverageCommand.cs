using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Schema;
using GridMap.IO.Coverage;

namespace GridMap.Server.Cli;

/// <summary>`gridmap coverage`: who reaches their nearest station on foot, within which threshold (the contract other tools rely on).</summary>
public static class CoverageCommand
{
    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("buildings", "stations", "network", "compounds", "kind", "minutes", "meters", "profile", "speed-kmh", "min-component-nodes", "out", "isochrones", "gaps", "report");
        var output = a.Require("out", "where to write the buildings with their walk (GeoJSON)");
        var (buildings, stations, network, walled, lineCount, kind, speed) = await ReadWalkInputsAsync(a);
        var thresholds = Thresholds(a, kind, speed);
        var minComponentNodes = MinComponentNodes(a);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = WalkModel.Build(buildings.Select(b => b.Geometry), stations.Select(s => s.Location), network, walled, minComponentNodes);
        var result = WalkCoverage.Compute(new CoverageInput(buildings, stations, network, thresholds, speed) { MinComponentNodes = minComponentNodes }, model, clock);
        await using (var file = File.Create(output)) CoverageFiles.WriteBuildings(file, buildings, result, result.Report.Mode);
        // Polygons for display only, after the timed step: the numbers above come from each building's walk.
        var households = buildings.Select(b => (long)b.Households).ToList();
        var metres = thresholds.Select(t => t.Metres).ToList();
        if (a.Get("isochrones") is { } isoPath)
        {
            var isochrones = ServiceAreas.Isochrones(model, households, metres);
            await using var file = File.Create(isoPath);
            CoverageFiles.WriteIsochrones(file, isochrones, stations, thresholds, model.Mode);
        }
        if (a.Get("gaps") is { } gapsPath)
        {
            var gaps = ServiceAreas.Gaps(model, buildings.Select(b => b.Geometry).ToList(), households, model.Nearest(), metres);
            await using var file = File.Create(gapsPath);
            CoverageFiles.WriteGaps(file, gaps, thresholds, model.Mode);
        }
        if (a.Get("report") is { } reportPath)
        {
            await using var file = File.Create(reportPath);
            CoverageFiles.WriteReport(file, result.Report);
        }
        var r = result.Report;
        stdout.WriteLine($"{r.Places:N0} buildings ({r.Households:N0} households), {r.Stations:N0} stations{(kind is null ? "" : $" of kind {kind}")}, " +
                         $"{r.Mode}{(network is null ? "" : $" ({network.Count:N0} of {lineCount:N0} lines walkable)")}: " +
                         string.Join(", ", r.Coverage.Select(c => $"{c.Key} → {100 * c.Value:0.0} %")) +
                         $"; {r.Unreachable.Count:N0} unreachable; {r.Seconds:0.000} s");
        if (r.NetworkIslands is { Count: > 0 } islands)
            stdout.WriteLine($"{islands.Count:N0} network island(s) under {islands.AttachMinNodes} nodes left out ({islands.Nodes:N0} nodes, {islands.LengthM:N0} m) " +
                             $"of {islands.Components:N0} components; the largest has {islands.LargestComponentNodes:N0} nodes");
        return 0;
    }

    /// <summary>--min-component-nodes: points attach only to network components of at least this many nodes (default 50).</summary>
    internal static int MinComponentNodes(CliArgs a)
    {
        var n = a.Int("min-component-nodes", WalkNetwork.DefaultMinComponentNodes);
        if (n < 1) throw new CliException("--min-component-nodes must be a whole number of at least 1 (1: attach to any piece of the network)");
        return n;
    }

    /// <summary>
    /// What `coverage` and `site` both read: buildings, stations (of --kind only, when given), the walkable lines of
    /// --network, the walled compounds of --compounds (those with `gates`), and the walking speed (--profile or --speed-kmh). Every file problem is reported before anything runs.
    /// </summary>
    internal static async Task<(IReadOnlyList<CoveragePlace> Buildings, IReadOnlyList<CoverageStation> Stations, IReadOnlyList<NetTopologySuite.Geometries.LineString>? Network,
        IReadOnlyList<WalledCompound>? Walled, int LineCount, string? Kind, double Speed)> ReadWalkInputsAsync(CliArgs a)
    {
        if (a.Has("minutes") && a.Has("meters")) throw new CliException("give --minutes or --meters, not both");
        if (a.Has("profile") && a.Has("speed-kmh")) throw new CliException("give --profile or --speed-kmh, not both");
        double kmh;
        try { kmh = WalkingSpeed.Kmh(a.Get("profile"), a.Has("speed-kmh") ? a.Double("speed-kmh", 0) : null); }
        catch (ArgumentException e) { throw new CliException($"--{e.ParamName} {e.Message.Split(" (Parameter")[0]}"); }
        var kind = a.Get("kind");
        if (kind is not null && !StationKinds.IsKnown(kind))
            throw new CliException($"--kind must be a station kind ({string.Join(", ", StationKinds.All.Select(k => k.Key))})");

        var problems = new List<FeatureProblem>();
        var buildingsFile = a.Require("buildings", "buildings with households (GeoJSON)");
        var stationsFile = a.Require("stations", "stations (GeoJSON points)");
        var buildings = CoverageFiles.ReadBuildings(Path.GetFileName(buildingsFile), await BytesAsync(a, "buildings"), problems);
        var stations = CoverageFiles.ReadStations(Path.GetFileName(stationsFile), await BytesAsync(a, "stations"), problems);
        var lineCount = 0;
        var network = a.Get("network") is { } networkFile
            ? CoverageFiles.ReadNetwork(Path.GetFileName(networkFile), await BytesAsync(a, "network"), problems, out lineCount)
            : null;
        var walled = a.Get("compounds") is { } compoundsFile
            ? CoverageFiles.ReadWalledCompounds(Path.GetFileName(compoundsFile), await BytesAsync(a, "compounds"), problems)
            : null;
        if (problems.Count > 0) throw new InvalidFeaturesException(problems);
        if (kind is not null) stations = stations.Where(s => s.Kind == kind).ToList();
        return (buildings, stations, network, walled, lineCount, kind, WalkingSpeed.MetresPerSecond(kmh));
    }

    internal static async Task<byte[]> BytesAsync(CliArgs a, string option)
    {
        var path = a.Get(option)!;
        if (!File.Exists(path)) throw new CliException($"--{option} {path} does not exist");
        return await File.ReadAllBytesAsync(path);
    }

    /// <summary>--minutes (at the walking speed) or --meters; else the GB 50180 radius of --kind; else 5, 10, 15 minutes.</summary>
    internal static IReadOnlyList<CoverageThreshold> Thresholds(CliArgs a, string? kind, double speed)
    {
        try { return CoverageThresholds.From(a.Get("minutes"), a.Get("meters"), kind, speed); }
        catch (ArgumentException e) { throw new CliException($"--{e.ParamName} {e.Message.Split(" (Parameter")[0]}"); }
    }
}
