using GridMap.Server.Bench;
using GridMap.Server.Cli;
using GridMap.Testing;

namespace GridMap.Server.Tests;

/// <summary>
/// `gridmap bench writes` in short: 4 clients × 10 read-modify-writes with If-Match through two real `gridmap serve`
/// processes on one PostGIS (fixed seeds), then the peer through one process. No acknowledged write may be missing from
/// the final state (issue 10, item 4); the long run (16 × 200) is the benchmark in docs/benchmarks.md.
/// </summary>
public sealed class WritesBenchTests : IAsyncLifetime
{
    const int Clients = 4, Writes = 10;

    /// <summary>The bench makes (and drops) databases of its own on this one's server.</summary>
    string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_writes");

    public async Task DisposeAsync() => await PostGisDatabase.DropDatabaseAsync(_connectionString);

    [Fact]
    public async Task Four_clients_times_ten_read_modify_writes_through_two_processes_lose_nothing()
    {
        var (o, database) = await WritesBench.MeasureAsync(_connectionString, servers: 2, clients: Clients, writes: Writes, features: 2,
            timeout: TimeSpan.FromMinutes(3), progress: _ => { }).WaitAsync(TimeSpan.FromMinutes(5)); // hang guard
        var row = WritesBench.Row(o);

        Assert.True(o.Problems().Count == 0, string.Join("\n", o.Problems()) + "\n" + row);
        Assert.Equal(0, o.Lost);
        Assert.Equal(Clients * Writes, o.Acknowledged);
        Assert.Equal(o.Acknowledged, o.InFinalLogs);
        Assert.Equal(0, o.Duplicates);
        Assert.Equal(0, o.PresentUnacknowledged);
        Assert.Equal(0, o.Failures);
        // Every acknowledged write is one commit, and both processes took half of them (client i talks to process i mod 2).
        Assert.Equal(o.Acknowledged, o.Commits);
        Assert.Equal([Clients * Writes / 2L, Clients * Writes / 2L], o.AcknowledgedPerServer);
        Assert.Equal([428, 428], o.BlindPutStatus);
        Assert.StartsWith("PostgreSQL", database);
    }

    [Fact]
    public async Task The_command_runs_both_configurations_and_writes_its_section()
    {
        var dir = Directory.CreateTempSubdirectory("gridmap-writesbench-").FullName;
        try { await CommandAsync(Path.Combine(dir, "benchmarks.md")); }
        finally { Directory.Delete(dir, true); }
    }

    async Task CommandAsync(string file)
    {
        await File.WriteAllTextAsync(file, BenchDocument.Update(null, "## Latest run\n\n| GridMap | 1 |\n"));
        var output = new StringWriter();
        var code = await BenchCommand.RunAsync(CliArgs.Parse(["writes", "--postgres", _connectionString, "--clients", $"{Clients}", "--writes", $"{Writes}",
            "--features", "2", "--timeout", "180", "--out", file]), output).WaitAsync(TimeSpan.FromMinutes(6));
        var text = output.ToString();
        Assert.True(code == 0, text);

        // cells: "", processes, clients × writes, acknowledged, in final logs, lost, duplicated, present not acknowledged, retries, failures, …
        var rows = text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("| 2 |", StringComparison.Ordinal) || l.StartsWith("| 1 |", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["2", "1"], rows.Select(r => r[1]));
        foreach (var r in rows)
        {
            Assert.Equal($"{Clients * Writes}", r[3]);
            Assert.Equal($"{Clients * Writes}", r[4]);
            Assert.Equal("**0**", r[5]);
            Assert.Equal("0", r[6]);
        }

        var document = await File.ReadAllTextAsync(file);
        Assert.Contains("<!-- bench:writes -->", document);
        Assert.Contains("Lost updates: read-modify-writes through two server processes", document);
        // A later partition run carries the section over.
        var after = BenchDocument.Update(document, "## Latest run\n\n| GridMap | 2 |\n");
        Assert.Contains("<!-- bench:writes -->", after);
        Assert.Contains($"| 2 | {Clients} × {Writes} | {Clients * Writes} |", after);
    }
}
