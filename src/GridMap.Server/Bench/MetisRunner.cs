using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GridMap.Server.Bench;

/// <summary>How METIS sees the edges: unweighted, or weighted by GridMap's cut cost rounded to whole units (at least 1).</summary>
public enum MetisEdges { Cost, Unit }

/// <summary>What gpmetis made of one instance: per area a part for every atom, and the part count of each area.</summary>
public sealed record MetisResult(
    int[][] PartOf, int[] PartCount, double ProcessSeconds, double ReportedSeconds, int Calls, int DisconnectedAreas,
    int SplitComponents, long MaxRssKb, string Version);

/// <summary>
/// Runs Debian's gpmetis (<c>gpmetis -contig -ufactor=100 graph k</c>) on each area's graph, k = max(1, round(households / target)).
/// An area with k = 1 is one part (no call). <c>-contig</c> refuses a disconnected graph, so such an area is partitioned
/// component by component, k shared in proportion to households (each component at least one part).
/// </summary>
public sealed class MetisRunner(string executable, MetisEdges edges)
{
    public string Executable { get; } = executable;

    /// <summary>gpmetis from $GPMETIS, the PATH or /usr/bin; fails with what to install when it is missing.</summary>
    public static string Locate()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("GPMETIS") is { Length: > 0 } env) candidates.Add(env);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(dir, "gpmetis"));
        candidates.Add("/usr/bin/gpmetis");
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                "gpmetis not found (looked at $GPMETIS, the PATH and /usr/bin/gpmetis): the benchmark runs METIS beside GridMap and does not skip it — install Debian's `metis` package (apt-get install metis)");
    }

    static readonly string? TimeWrapper = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;

    /// <summary>One call on a 3-node graph, untimed, so that starting the first process (and JIT) is not counted.</summary>
    public string WarmUp(string directory)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "warmup.graph");
        File.WriteAllText(file, "3 2 011\n100 2 5\n100 1 5 3 7\n100 2 7\n");
        var (_, _, _, _, banner) = Call(file, 2, 3);
        File.Delete(file);
        File.Delete($"{file}.part.2");
        return PackageVersion() is { } v ? $"METIS {v}" : banner;
    }

    /// <summary>The Debian package version of metis (the binary's banner says 5.0 even for 5.1.0), when dpkg knows it.</summary>
    static string? PackageVersion()
    {
        try
        {
            var start = new ProcessStartInfo("dpkg-query", ["-W", "-f", "${Version}", "metis"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(start);
            if (p is null) return null;
            var v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            if (p.ExitCode != 0 || v.Length == 0) return null;
            var dfsg = v.IndexOf(".dfsg", StringComparison.Ordinal);
            return dfsg > 0 ? v[..dfsg] : v.Split('-')[0];
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    public string Version { get; private set; } = "";

    public MetisResult Run(InstanceGraphs graphs, string directory)
    {
        if (Version.Length == 0) Version = WarmUp(directory);
        Directory.CreateDirectory(directory);
        var partOf = new int[graphs.Areas.Count][];
        var partCount = new int[graphs.Areas.Count];
        double processSeconds = 0, reportedSeconds = 0;
        int calls = 0, disconnected = 0, splitComponents = 0;
        long maxRss = 0;
        var version = Version;
        foreach (var area in graphs.Areas)
        {
            var g = area.Graph;
            var n = g.NodeCount;
            var parts = partOf[area.Index] = new int[n];
            var total = g.Weight.Sum(w => (long)w);
            var k = Math.Max(1, (int)Math.Round((double)total / graphs.Bounds.Target, MidpointRounding.AwayFromZero));
            if (k == 1 || n <= 1)
            {
                partCount[area.Index] = 1;
                continue;
            }

            var (component, count) = Components(g);
            var next = 0;
            if (count > 1)
            {
                disconnected++;
                splitComponents += count;
            }
            var members = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
            for (var v = 0; v < n; v++) members[component[v]].Add(v);
            for (var c = 0; c < count; c++)
            {
                var nodes = members[c].ToArray();
                var weight = nodes.Sum(v => (long)g.Weight[v]);
                var kc = count == 1 ? k
                    : Math.Max(1, (int)Math.Round(total == 0 ? 0 : (double)k * weight / total, MidpointRounding.AwayFromZero));
                if (kc == 1 || nodes.Length == 1)
                {
                    foreach (var v in nodes) parts[v] = next;
                    next++;
                    continue;
                }
                var file = Path.Combine(directory, $"area{area.Index}-c{c}.graph");
                WriteGraph(file, g, nodes);
                var (local, seconds, reported, rss, banner) = Call(file, kc, nodes.Length);
                calls++;
                processSeconds += seconds;
                reportedSeconds += reported;
                maxRss = Math.Max(maxRss, rss);
                for (var i = 0; i < nodes.Length; i++) parts[nodes[i]] = next + local[i];
                next += kc;
                File.Delete(file);
                File.Delete($"{file}.part.{kc}");
            }
            partCount[area.Index] = next;
        }
        return new MetisResult(partOf, partCount, processSeconds, reportedSeconds, calls, disconnected, splitComponents, maxRss, version);
    }

    static (int[] Component, int Count) Components(GridMap.Core.Partitioning.PartitionGraph g)
    {
        var component = new int[g.NodeCount];
        Array.Fill(component, -1);
        var count = 0;
        var stack = new Stack<int>();
        for (var s = 0; s < g.NodeCount; s++)
        {
            if (component[s] >= 0) continue;
            component[s] = count;
            stack.Push(s);
            while (stack.Count > 0)
                foreach (var t in g.Neighbours(stack.Pop()))
                    if (component[t] < 0)
                    {
                        component[t] = count;
                        stack.Push(t);
                    }
            count++;
        }
        return (component, count);
    }

    /// <summary>The subgraph induced by <paramref name="nodes"/> in METIS format (1-based, fmt 011: vertex and edge weights, or 010 unweighted).</summary>
    void WriteGraph(string file, GridMap.Core.Partitioning.PartitionGraph g, int[] nodes)
    {
        var local = new Dictionary<int, int>(nodes.Length);
        for (var i = 0; i < nodes.Length; i++) local[nodes[i]] = i;
        long m = 0;
        foreach (var v in nodes) m += g.Neighbours(v).Length;
        var sb = new StringBuilder();
        sb.Append(nodes.Length).Append(' ').Append(m / 2).Append(edges == MetisEdges.Cost ? " 011\n" : " 010\n");
        foreach (var v in nodes)
        {
            sb.Append(g.Weight[v]);
            for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
            {
                sb.Append(' ').Append(local[g.Target[e]] + 1);
                if (edges == MetisEdges.Cost) sb.Append(' ').Append(EdgeWeight(g.Cost[e]));
            }
            sb.Append('\n');
        }
        File.WriteAllText(file, sb.ToString());
    }

    public static int EdgeWeight(double cost) => (int)Math.Clamp(Math.Round(cost, MidpointRounding.AwayFromZero), 1, 1_000_000);

    static readonly Regex Partitioning = new(@"Partitioning:\s+([0-9.eE+-]+)\s+sec", RegexOptions.Compiled);
    static readonly Regex MaxRss = new(@"GRIDMAP_MAXRSS_KB=(\d+)", RegexOptions.Compiled);
    static readonly Regex Banner = new(@"METIS\s+([0-9][0-9.]*)", RegexOptions.Compiled);

    (int[] Parts, double Seconds, double Reported, long RssKb, string Version) Call(string file, int k, int n)
    {
        var start = new ProcessStartInfo
        {
            FileName = TimeWrapper ?? Executable,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(file)!,
        };
        if (TimeWrapper is not null)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add("GRIDMAP_MAXRSS_KB=%M");
            start.ArgumentList.Add(Executable);
        }
        start.ArgumentList.Add("-contig");
        start.ArgumentList.Add("-ufactor=100");
        start.ArgumentList.Add(file);
        start.ArgumentList.Add(k.ToString(CultureInfo.InvariantCulture));

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        var stderr = stderrTask.Result;
        var partFile = $"{file}.part.{k}";
        if (process.ExitCode != 0 || !File.Exists(partFile))
            throw new InvalidOperationException(
                $"gpmetis -contig -ufactor=100 {Path.GetFileName(file)} {k} failed (exit {process.ExitCode}): {Tail(stdout)} {Tail(stderr)}".Trim());

        var parts = new int[n];
        var i = 0;
        foreach (var line in File.ReadLines(partFile))
        {
            if (line.Length == 0) continue;
            if (i >= n) throw new InvalidDataException($"{partFile}: more than {n} lines");
            parts[i++] = int.Parse(line, CultureInfo.InvariantCulture);
        }
        if (i != n) throw new InvalidDataException($"{partFile}: {i} lines for {n} vertices");
        var reported = Partitioning.Match(stdout) is { Success: true } p ? double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var rss = MaxRss.Match(stderr) is { Success: true } r ? long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var version = Banner.Match(stdout) is { Success: true } b ? $"METIS {b.Groups[1].Value.TrimEnd('.')}" : "METIS";
        return (parts, seconds, reported, rss, version);
    }

    static string Tail(string s)
    {
        s = s.Trim();
        return s.Length <= 600 ? s : "…" + s[^600..];
    }
}
