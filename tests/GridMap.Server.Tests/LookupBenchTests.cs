using GridMap.Server.Bench;
using GridMap.Server.Cli;

namespace GridMap.Server.Tests;

/// <summary>
/// `gridmap bench lookup` in short: one real `gridmap serve` on the sample city, two clients for a second, then a second
/// with a station write (no timing asserted: the timed runs are the benchmark in docs/benchmarks.md).
/// </summary>
public sealed class LookupBenchTests
{
    [Fact]
    public async Task A_one_second_run_answers_every_lookup_and_every_write()
    {
        var result = await LookupBench.MeasureAsync(new LookupBench.Options(Clients: 2, Seconds: 1.5, Warmup: 1, Runs: 1), null, _ => { })
            .WaitAsync(TimeSpan.FromMinutes(4)); // hang guard
        var run = Assert.Single(result.Runs);
        Assert.Equal("current", run.Build);
        Assert.True(run.Steady.Lookups > 0, "no lookup was answered");
        Assert.Equal(0, run.Steady.Errors);
        Assert.True(run.WithWrites.Lookups > 0, "no lookup was answered while writing");
        Assert.Equal(0, run.WithWrites.Errors);
        Assert.True(run.WithWrites.Writes >= 1, "no station write was acknowledged");
        Assert.Equal(0, run.WithWrites.WriteErrors);
        Assert.Contains("buildings", result.Data);
    }

    [Fact]
    public async Task The_command_refuses_a_peer_without_a_build()
    {
        var dir = Directory.CreateTempSubdirectory("gridmap-lookupbench-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<CliException>(() => BenchCommand.RunAsync(CliArgs.Parse(["lookup", "--peer", dir, "--seconds", "1"]), new StringWriter()));
            Assert.Contains("no gridmap.dll", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
