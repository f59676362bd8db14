using System.Text.Json.Nodes;
using GridMap.Core.Network;
using GridMap.Core.Schema;
using GridMap.IO.Coverage;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Cli;

/// <summary>
/// `gridmap site`: where new stations would cover the most uncovered households within one threshold (--add K,
/// maximal covering), or the fewest that reach a covered share (--share S, set covering); existing stations stay.
/// </summary>
public static class SiteCommand
{
    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("buildings", "stations", "network", "compounds", "kind", "minutes", "meters", "profile", "speed-kmh", "min-component-nodes", "add", "share", "candidates", "spacing", "out", "report");
        var output = a.Require("out", "where to write the chosen sites (GeoJSON)");
        if (a.Has("add") == a.Has("share")) throw new CliException("give --add K (the most households for K new stations) or --share S (the fewest stations for a covered share), one of them");
        var add = a.Int("add", 0);
        var share = a.Double("share", 0);
        if (a.Has("add") && add is < 1 or > 10_000) throw new CliException("--add must be a whole number from 1 to 10000");
        if (a.Has("share") && share is <= 0 or > 1) throw new CliException("--share must be a share of households above 0 and at most 1, e.g. 0.95");
        var candidatesArg = a.Require("candidates", "a GeoJSON file of candidate points, or auto for candidates in the gaps");
        var (buildings, stations, network, walled, _, kind, speed) = await CoverageCommand.ReadWalkInputsAsync(a);
        var thresholds = CoverageCommand.Thresholds(a, kind, speed);
        var minComponentNodes = CoverageCommand.MinComponentNodes(a);
        if (thresholds.Count != 1) throw new CliException("site takes one threshold: --minutes 15 or --meters 500");
        var threshold = thresholds[0];
        var spacing = a.Double("spacing", Math.Round(threshold.Metres / 4));
        if (!(spacing >= 10)) throw new CliException("--spacing must be at least 10 (metres between automatic candidates)");

        IReadOnlyList<CoverageStation>? given = null;
        if (candidatesArg != "auto")
        {
            var problems = new List<FeatureProblem>();
            given = CoverageFiles.ReadStations(Path.GetFileName(candidatesArg), await CoverageCommand.BytesAsync(a, "candidates"), problems);
            if (problems.Count > 0) throw new InvalidFeaturesException(problems);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = WalkModel.Build(buildings.Select(b => b.Geometry), stations.Select(s => s.Location), network, walled, minComponentNodes);
        var households = buildings.Select(b => (long)b.Households).ToList();
        var candidates = given?.Select(c => WalkModel.Metric(model.Projection, c.Location)).ToList()
                         ?? StationSiting.AutomaticCandidates(model, households, threshold.Metres, spacing).ToList();
        var result = a.Has("add")
            ? StationSiting.MaximalCovering(model, households, candidates, threshold.Metres, add)
            : StationSiting.SetCovering(model, households, candidates, threshold.Metres, share);
        var seconds = clock.Elapsed.TotalSeconds;

        var factory = GridMap.Core.Spatial.GeometryRules.Factory;
        var sites = result.Sites.Select(s => (given?[s.Candidate].Id ?? $"auto-{s.Candidate + 1}",
            factory.CreatePoint(model.Projection.Unproject(candidates[s.Candidate])), s)).ToList();
        await using (var file = File.Create(output)) CoverageFiles.WriteSites(file, sites, model.Mode);
        double Share(long covered) => result.Households == 0 ? 1 : (double)covered / result.Households;
        if (a.Get("report") is { } reportPath)
        {
            var report = CoverageFiles.SitingReport(result, threshold, model.Mode, a.Has("share") ? share : null, given is null ? "auto" : "file", seconds);
            await File.WriteAllTextAsync(reportPath, report.ToJsonString(new() { WriteIndented = true }));
        }
        stdout.WriteLine($"{result.Sites.Count} site(s) of {result.Candidates:N0} candidates, {model.Mode}, {threshold.Label}: " +
                         $"{100 * Share(result.CoveredBefore):0.0} % → {100 * Share(result.CoveredAfter):0.0} % of {result.Households:N0} households " +
                         $"(+{result.Gained:N0}{(result.GainBound is { } b ? $", bound {b:N0}" : "")}); {seconds:0.000} s");
        return 0;
    }
}
