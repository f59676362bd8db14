using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using GridMap.Core.Partitioning;
using GridMap.Server.Cli;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench partition [--instances a,b] [--out docs/benchmarks.md|-] [--runs 3] [--metis-edges cost|unit] [--warmup same|tiny]`:
/// GridMap's partitioner and gpmetis on the same per-area graphs, in the same run, one markdown table per instance.
/// </summary>
public static class BenchCommand
{
    public const string Usage =
        "usage: gridmap bench partition [--instances singapore,chengdu,sample,lattice40,lattice100,lattice317] [--out docs/benchmarks.md|-] [--runs 3] [--metis-edges unit|cost] [--warmup same|tiny]  (also: chengdu-area, latticeN)";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        if (a.Positional is ["repartition"]) return await RepartitionBench.RunAsync(a, stdout);
        if (a.Positional is ["coverage"]) return await CoverageBench.RunAsync(a, stdout);
        if (a.Positional is ["edit"]) return await EditBench.RunAsync(a, stdout);
        if (a.Positional is ["writes"]) return await WritesBench.RunAsync(a, stdout);
        if (a.Positional is ["web"]) return await WebBenchLauncher.RunAsync(a, stdout);
        if (a.Positional is ["lookup"]) return await LookupBench.RunAsync(a, stdout);
        if (a.Positional is ["fuzz"]) return await FuzzBench.RunAsync(a, stdout);
        if (a.Positional is ["repair"]) return await RepairBench.RunAsync(a, stdout);
        if (a.Positional is ["kill"]) return await KillBench.RunAsync(a, stdout);
        a.Allow("instances", "out", "runs", "metis-edges", "warmup");
        if (a.Positional.Count != 1 || a.Positional[0] != "partition")
            throw new CliException(string.Join("\n", Usage, RepartitionBench.Usage, CoverageBench.Usage, EditBench.Usage, WritesBench.Usage, WebBenchLauncher.Usage, KillBench.Usage, LookupBench.Usage, FuzzBench.Usage, RepairBench.Usage));
        var names = (a.Get("instances") ?? string.Join(",", BenchInstances.All))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var n in names)
            if (!BenchInstances.All.Contains(n) && n != "chengdu-area" && !(n.StartsWith("lattice", StringComparison.Ordinal) && int.TryParse(n[7..], out var s) && s is >= 2 and <= 2000))
                throw new CliException($"unknown instance '{n}' (known: {string.Join(", ", BenchInstances.All)}, chengdu-area, or latticeN)");
        var runs = a.Int("runs", 3);
        if (runs is < 1 or > 100) throw new CliException("--runs must be 1..100");
        var edges = (a.Get("metis-edges") ?? "unit") switch
        {
            "cost" => MetisEdges.Cost,
            "unit" => MetisEdges.Unit,
            var v => throw new CliException($"--metis-edges must be cost or unit, not '{v}'"),
        };
        var warmUpOnInstance = (a.Get("warmup") ?? "same") switch
        {
            "same" => true,
            "tiny" => false,
            var v => throw new CliException($"--warmup must be same or tiny, not '{v}'"),
        };
        var output = a.Get("out");

        // No silent skip: without gpmetis there is nothing to compare against.
        var metis = new MetisRunner(MetisRunner.Locate(), edges);
        var command = Command(a);
        var progress = (string line) => Console.Error.WriteLine(line);

        progress("warm-up on WarmUp.Input");
        GridPartitioner.Partition(WarmUp.Input);

        var outcomes = new List<InstanceOutcome>();
        var temp = Directory.CreateTempSubdirectory("gridmap-bench-").FullName;
        try
        {
            foreach (var name in names)
            {
                var outcome = RunInstance(name, runs, warmUpOnInstance, metis, edges, Path.Combine(temp, name), progress);
                outcomes.Add(outcome);
                await stdout.WriteLineAsync(InstanceMarkdown(outcome, "###"));
                await stdout.FlushAsync();
            }
            await stdout.WriteLineAsync(MemoryMarkdown(outcomes));
        }
        finally
        {
            try { Directory.Delete(temp, true); } catch (IOException) { }
        }

        if (output is not null && output != "-")
        {
            var latest = LatestSection(command, runs, edges, warmUpOnInstance, outcomes);
            var dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (dir is not null) Directory.CreateDirectory(dir);
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : null;
            await File.WriteAllTextAsync(output, BenchDocument.Update(old, latest));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        return outcomes.Any(o => o.Failures.Count > 0) ? 1 : 0;
    }

    static InstanceOutcome RunInstance(string name, int runs, bool warmUpOnInstance, MetisRunner metis, MetisEdges edges, string temp, Action<string> progress)
    {
        var failures = new List<string>();
        var notes = new List<string>();
        notes.Add($"Load average before the instance (1/5/15 min): {BenchMachine.LoadAverage()}.");
        progress($"{name}: loading");
        var clock = Stopwatch.StartNew();
        BenchInstance instance;
        try { instance = BenchInstances.Load(name); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new InstanceOutcome(new BenchInstance(name, "(not loaded)", new PartitionInput([])), null, null, null, [], [$"loading: {Describe(e)}"]);
        }
        progress($"{name}: loaded in {clock.Elapsed.TotalSeconds:0.0} s — {instance.Description}");

        BenchMeasure.GridMapRuns? gridMapRuns = null;
        try { gridMapRuns = BenchMeasure.RunGridMap(instance.Input, runs, warmUpOnInstance, progress); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"GridMap: {Describe(e)}");
            progress($"{name}: GridMap failed: {Describe(e)}");
        }

        InstanceGraphs? graphs = null;
        try
        {
            graphs = InstanceGraphs.Build(instance.Input);
            progress($"{name}: graphs {graphs.Nodes:N0} nodes, {graphs.Edges:N0} edges in {graphs.Areas.Count} areas, built in {graphs.Seconds:0.00} s");
            notes.Add($"Graph (`AreaPartition.BuildGraph` per area): {graphs.Nodes:N0} atoms, {graphs.Edges:N0} edges, {graphs.Areas.Count:N0} area(s); built in {graphs.Seconds:0.00} s outside any timed step.");
            if (instance.Name.StartsWith("lattice", StringComparison.Ordinal) && int.TryParse(instance.Name[7..], out var side))
            {
                long rook = 2L * side * (side - 1);
                notes.Add(graphs.Edges == rook && graphs.Nodes == side * side
                    ? $"Rook adjacency confirmed: {rook:N0} edges = 2·n·(n−1)."
                    : $"NOT rook adjacency: expected {side * side:N0} nodes and {rook:N0} edges.");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"graph for cut edges and METIS: {Describe(e)}");
            progress($"{name}: graph failed: {Describe(e)}");
        }

        BenchRow? gridMapRow = null;
        if (gridMapRuns is not null)
        {
            var r = gridMapRuns.Last.Report;
            var inGrids = gridMapRuns.Last.Grids.Sum(g => (long)g.Households);
            if (inGrids != r.Households)
                failures.Add($"GridMap: its grids hold {inGrids:N0} of the {r.Households:N0} households the report counts in the input");
        }
        if (gridMapRuns is not null && graphs is not null)
        {
            gridMapRow = BenchMeasure.GridMapRow(gridMapRuns, graphs);
            if (!gridMapRuns.PeakReset) notes.Add("Peak working set could not be reset per instance: it is the process's peak so far.");
        }

        BenchRow? metisRow = null;
        if (graphs is not null)
        {
            try
            {
                var results = new List<MetisResult>();
                for (var r = 0; r < runs; r++)
                {
                    results.Add(metis.Run(graphs, temp));
                    progress($"  METIS run {r + 1}: processes {results[^1].ProcessSeconds:0.000} s, reported {results[^1].ReportedSeconds:0.000} s, {results[^1].Calls} call(s)");
                }
                metisRow = BenchMeasure.MetisRow(results, graphs, edges);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
            {
                failures.Add($"METIS: {Describe(e)}");
                progress($"{name}: METIS failed: {Describe(e)}");
            }
        }
        return new InstanceOutcome(instance, graphs, gridMapRow, metisRow, notes, failures);
    }

    /// <summary>Type, message and the innermost GridMap frame, so a failure says where it happened.</summary>
    static string Describe(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: > 0 } ag ? ag.Flatten().InnerExceptions[0] : e;
        var frame = new StackTrace(inner, false).GetFrames()
            .Select(f => f.GetMethod())
            .FirstOrDefault(m => m?.DeclaringType?.FullName?.StartsWith("GridMap.", StringComparison.Ordinal) == true);
        var where = frame is null ? "" : $" at {frame.DeclaringType!.FullName}.{frame.Name}";
        return $"{inner.GetType().Name}: {inner.Message}{where}";
    }

    static string Command(CliArgs a)
    {
        var sb = new StringBuilder("gridmap bench partition");
        foreach (var name in a.Names) sb.Append($" --{name} {a.Get(name)}");
        return sb.ToString();
    }

    static string F(double v, int digits) => v.ToString("N" + digits, CultureInfo.InvariantCulture);

    static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    public const string TableHeader =
        "| method | time s | wall s | grids | in band | in band % | in band % of feasible | empty | non-contiguous (polygons / graph) | cut edges | cut cost | overlap / gap m² | PP mean | peak MB |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    static string Row(BenchRow r) =>
        $"| {r.Method} | {F(r.Seconds, 3)} | {F(r.WallSeconds, 3)} | {N(r.Groups)} | {N(r.InBand)} | {F(r.InBandShare, 1)} | {F(r.FeasibleShare, 1)} ({N(r.Feasible)}) | {N(r.Empty)} | " +
        $"{(r.NoncontiguousPolygons is { } p ? N(p) : "—")} / {N(r.NoncontiguousGraph)} | {N(r.CutEdges)} | {F(r.CutCost, 0)} | " +
        $"{(r.OverlapM2 is { } o ? F(o, 1) : "—")} / {(r.GapM2 is { } g ? F(g, 1) : "—")} | {(r.PolsbyPopperMean is { } pp ? F(pp, 3) : "—")} | {(r.PeakMb is { } m ? F(m, 0) : "—")} |";

    public static string InstanceMarkdown(InstanceOutcome o, string heading)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{heading} {o.Instance.Name}").AppendLine();
        sb.AppendLine(o.Instance.Description + ".").AppendLine();
        sb.AppendLine(TableHeader);
        sb.AppendLine(o.GridMap is { } g ? Row(g) : "| GridMap | failed | | | | | | | | | | | | |");
        sb.AppendLine(o.Metis is { } m ? Row(m) : "| METIS | failed | | | | | | | | | | | | |");
        sb.AppendLine();
        foreach (var n in o.Notes) sb.AppendLine($"- {n}");
        if (o.GridMap is { } gr)
        {
            sb.AppendLine($"- GridMap runs: report seconds {string.Join(", ", gr.RunSeconds.Select(s => F(s, 3)))}; wall {string.Join(", ", gr.RunWallSeconds.Select(s => F(s, 3)))}; " +
                          $"allocated {F(gr.AllocatedMb ?? 0, 0)} MB per run (median).");
            foreach (var n in gr.Notes) sb.AppendLine($"- GridMap {n}.");
        }
        if (o.Metis is { } mr)
        {
            sb.AppendLine($"- METIS runs: own partitioning time {string.Join(", ", mr.RunSeconds.Select(s => F(s, 3)))}; process wall {string.Join(", ", mr.RunWallSeconds.Select(s => F(s, 3)))}.");
            foreach (var n in mr.Notes) sb.AppendLine($"- METIS {n}.");
        }
        foreach (var f in o.Failures) sb.AppendLine($"- **Failed** — {f}");
        return sb.ToString();
    }

    static string LatestSection(string command, int runs, MetisEdges edges, bool warmUpOnInstance, IReadOnlyList<InstanceOutcome> outcomes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Latest run").AppendLine();
        sb.AppendLine($"- Command: `{command}`");
        sb.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}");
        sb.AppendLine($"- Load average (1/5/15 min) when the tables were written: {BenchMachine.LoadAverage()} — with other work running, times are not representative.");
        sb.AppendLine($"- Build: {BenchMachine.Configuration()}; METIS: {outcomes.Select(o => o.Metis?.Method).FirstOrDefault(m => m is not null) ?? "?"} (`gpmetis -contig -ufactor=100`)");
        sb.AppendLine();
        sb.AppendLine("How to read the tables:");
        sb.AppendLine();
        sb.AppendLine($"- Each figure is the median of {runs} run(s), after one untimed warm-up on {(warmUpOnInstance ? "the same instance" : "`WarmUp.Input`")} (and one on `WarmUp.Input` at start).");
        sb.AppendLine("- *time s*: GridMap — the report's `seconds` (the partitioning step: projection, assignment, grid polygons; no file I/O, no validation); " +
                      "METIS — gpmetis's own \"Partitioning\" time, summed over its calls. *wall s*: GridMap — the whole `GridPartitioner.Partition` call, validation included; " +
                      "METIS — the wall time of the gpmetis processes, summed (they run one after another; graph file writing not included).");
        sb.AppendLine("- Both run on the same graphs: per area, `GridPartitioner.Prepare` + `ProblemOf` + `AreaPartition.BuildGraph` (nodes = atoms weighted by households). " +
                      $"METIS gets k = max(1, round(area households / 250)) parts per area (an area with k = 1 is one part, no call); its edges are {(edges == MetisEdges.Cost ? "weighted by GridMap's cut cost rounded to whole metres (at least 1)" : "unweighted")} (`--metis-edges cost|unit`).");
        sb.AppendLine("- *in band*: grids/parts with 200–300 households; *of feasible*: over the grids that could be in band (leaving out those outside the band because they hold an oversized unit or their area holds fewer than 200 households); the count of such grids is in brackets.");
        sb.AppendLine("- *empty*: 0 households. *non-contiguous*: grid polygons with several pieces / groups whose atoms are not connected in the graph. *cut edges*: graph edges between different grids; *cut cost*: their summed GridMap cost.");
        sb.AppendLine("- METIS parts get polygons by dissolving GridMap's own territories per part (`GridPolygons.Dissolve`), so overlap/gap and Polsby–Popper (PP) are comparable.");
        sb.AppendLine("- *peak MB*: GridMap — the process's peak working set during the instance's runs (reset per instance through /proc/self/clear_refs); METIS — the largest gpmetis max RSS (/usr/bin/time).");
        sb.AppendLine();
        foreach (var o in outcomes) sb.AppendLine(InstanceMarkdown(o, "###"));
        sb.AppendLine(MemoryMarkdown(outcomes));
        return sb.ToString().TrimEnd() + "\n";
    }

    /// <summary>
    /// Memory against size: allocation and peak working set per atom for each instance. Linear growth keeps the per-atom
    /// figures flat across the lattices, which differ only in size.
    /// </summary>
    public static string MemoryMarkdown(IReadOnlyList<InstanceOutcome> outcomes)
    {
        var rows = outcomes.Where(o => o.GridMap is not null && o.Graphs is { Nodes: > 0 }).ToList();
        if (rows.Count == 0) return "";
        var sb = new StringBuilder();
        sb.AppendLine("### Memory against size").AppendLine();
        sb.AppendLine("Allocation is what one partitioning run allocates (GC); the peak working set includes the process's own baseline (runtime, loaded instances), so only allocation tells at small sizes.").AppendLine();
        sb.AppendLine("| instance | atoms | allocated MB per run | allocated KB per atom | peak MB | peak KB per atom |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var o in rows)
        {
            var atoms = o.Graphs!.Nodes;
            var allocated = o.GridMap!.AllocatedMb ?? 0;
            var peak = o.GridMap.PeakMb ?? 0;
            sb.AppendLine($"| {o.Instance.Name} | {N(atoms)} | {F(allocated, 0)} | {F(allocated * 1024 / atoms, 1)} | {F(peak, 0)} | {F(peak * 1024 / atoms, 1)} |");
        }
        var lattices = rows.Where(o => o.Instance.Name.StartsWith("lattice", StringComparison.Ordinal)).OrderBy(o => o.Graphs!.Nodes).ToList();
        if (lattices.Count >= 2)
        {
            var perAtom = lattices.Select(o => (o.GridMap!.AllocatedMb ?? 0) / o.Graphs!.Nodes).ToList();
            sb.AppendLine();
            sb.AppendLine($"- Lattices from {N(lattices[0].Graphs!.Nodes)} to {N(lattices[^1].Graphs!.Nodes)} atoms " +
                          $"({lattices[^1].Graphs!.Nodes / (double)lattices[0].Graphs!.Nodes:0}× more): allocation per atom goes from " +
                          $"{F(perAtom[0] * 1024, 1)} to {F(perAtom[^1] * 1024, 1)} KB ({perAtom[^1] / perAtom[0]:0.00}×) — " +
                          $"{(perAtom[^1] / perAtom[0] <= 1.5 ? "linear growth" : "growing faster than linear")}.");
        }
        return sb.ToString();
    }
}

/// <summary>The machine a run was measured on.</summary>
public static class BenchMachine
{
    public static string Describe()
    {
        var cpuinfo = TryRead("/proc/cpuinfo")?.Split('\n') ?? [];
        string? Field(string name) => cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(':'))?.Split(':', 2)[1].Trim();
        var cpu = Field("model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var detail = new List<string>();
        if (Field("cpu family") is { } family && Field("model\t") is { } model) detail.Add($"family {family} model {model}");
        if (double.TryParse(Field("cpu MHz"), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz)) detail.Add($"{mhz / 1000:0.0} GHz");
        if (Field("flags")?.Split(' ').Contains("hypervisor") == true) detail.Add("virtual machine");
        if (detail.Count > 0) cpu += $" ({string.Join(", ", detail)})";
        var memKb = TryRead("/proc/meminfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = long.TryParse(memKb, out var kb) ? $"{kb / 1048576.0:0.0} GiB RAM" : "unknown memory";
        var os = TryRead("/etc/os-release")?.Split('\n').FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"')
                 ?? RuntimeInformation.OSDescription;
        var kernel = TryRead("/proc/sys/kernel/osrelease")?.Trim();
        return $"nproc {Environment.ProcessorCount}, {cpu}, {memory}, {RuntimeInformation.FrameworkDescription}, {os}{(kernel is null ? "" : $", kernel {kernel}")}";
    }

    /// <summary>Release or Debug, from how GridMap.Core was compiled (JIT optimisation disabled means Debug).</summary>
    public static string Configuration()
    {
        var debuggable = typeof(GridPartitioner).Assembly.GetCustomAttribute<DebuggableAttribute>();
        var gc = System.Runtime.GCSettings.IsServerGC ? "server GC" : "workstation GC";
        return (debuggable?.IsJITOptimizerDisabled == true ? "Debug (figures are not representative)" : "Release") + ", " + gc;
    }

    /// <summary>/proc/loadavg's three averages: other work on the machine shows here.</summary>
    public static string LoadAverage() =>
        TryRead("/proc/loadavg") is { } l ? string.Join(" / ", l.Split(' ').Take(3)) : "unknown";

    static string? TryRead(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (IOException) { return null; }
    }
}

/// <summary>docs/benchmarks.md: the latest run on top; the run before it under "Previous figures".</summary>
public static class BenchDocument
{
    const string LatestStart = "<!-- bench:latest -->";
    const string LatestEnd = "<!-- /bench:latest -->";
    const string PreviousStart = "<!-- bench:previous -->";
    const string PreviousEnd = "<!-- /bench:previous -->";

    /// <summary>Sections other benches own, carried over as they are when the partition tables are rewritten.</summary>
    static readonly string[] OwnSections = ["repartition", "coverage", "edit", "writes", "web", "kill", "lookup", "lookup-postgis", "fuzz-sqlite", "fuzz-postgis"];

    /// <summary>Puts (or replaces) the re-partition section; the partition tables stay as they are.</summary>
    public static string WithRepartition(string old, string table) => WithSection(old, "repartition", "Re-partition (stable codes, churn)", table);

    /// <summary>
    /// Puts (or replaces) section <paramref name="key"/>, before "Previous figures"; what it held before goes under its
    /// own "Previous run" heading, so the next run can be compared against it.
    /// </summary>
    public static string WithSection(string old, string key, string title, string table)
    {
        var (start, end) = ($"<!-- bench:{key} -->", $"<!-- /bench:{key} -->");
        var i = old.IndexOf(start, StringComparison.Ordinal);
        var j = old.IndexOf(end, StringComparison.Ordinal);
        var before = i >= 0 && j > i ? old[(i + start.Length)..j] : null;
        var previous = "";
        if (key != "repartition" && before is not null)
        {
            // Only the last run is kept as "previous": the one before it was already compared.
            var current = before.Split("\n### Previous run", 2)[0];
            var body = current[(current.IndexOf('\n', current.IndexOf("## ", StringComparison.Ordinal)) + 1)..].Trim();
            previous = $"\n### Previous run\n\n{body}\n";
        }
        var section = $"{start}\n## {title}\n\n{table.TrimEnd()}\n{previous}{end}\n";
        if (before is not null) return old[..i] + section + old[(j + end.Length)..].TrimStart('\n');
        var at = old.IndexOf("## Previous figures", StringComparison.Ordinal);
        return at >= 0 ? old[..at] + section + "\n" + old[at..] : old.TrimEnd() + "\n\n" + section;
    }

    const string Intro = """
        # Partitioning benchmarks

        Written by `gridmap bench partition` (src/GridMap.Server/Bench; issue 3, section 6): GridMap's grid partitioner and
        METIS (`gpmetis -contig -ufactor=100`) on the same adjacency, measured in the same run — METIS figures are never
        copied. Each run moves the tables it replaces to "Previous figures", so a run can be compared against the one before.
        Run it with `dotnet run --project src/GridMap.Server -c Release -- bench partition --out docs/benchmarks.md`.
        """;

    public static string Update(string? old, string latest)
    {
        var previous = old is null ? null : Between(old, LatestStart, LatestEnd);
        if (previous is null && old is not null && old.Trim().Length > 0 && !old.Contains(PreviousStart, StringComparison.Ordinal))
            previous = old; // a file written by hand: keep it all
        previous ??= old is null ? null : Between(old, PreviousStart, PreviousEnd);
        var sb = new StringBuilder();
        sb.AppendLine(Intro).AppendLine();
        sb.AppendLine(LatestStart).AppendLine(latest.TrimEnd()).AppendLine(LatestEnd).AppendLine();
        // Sections written by other benches are carried over as they are.
        foreach (var key in OwnSections)
            if (old is not null && Between(old, $"<!-- bench:{key} -->", $"<!-- /bench:{key} -->") is { } own)
                sb.AppendLine($"<!-- bench:{key} -->").AppendLine(own.Trim()).AppendLine($"<!-- /bench:{key} -->").AppendLine();
        sb.AppendLine("## Previous figures").AppendLine();
        sb.AppendLine(PreviousStart);
        sb.AppendLine(previous is null ? "(none yet)" : Demote(previous.Trim()));
        sb.AppendLine(PreviousEnd);
        return sb.ToString();
    }

    static string? Between(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        return i >= 0 && j > i ? text[(i + start.Length)..j] : null;
    }

    /// <summary>"## Latest run" becomes "### Run before" and every other heading goes one level down.</summary>
    static string Demote(string section)
    {
        var lines = section.Split('\n').Select(l =>
            l.StartsWith("## Latest run", StringComparison.Ordinal) ? "### Previous run"
            : l.StartsWith('#') && !l.StartsWith("######", StringComparison.Ordinal) ? "#" + l
            : l);
        return string.Join('\n', lines);
    }
}
