using GridMap.Bench.Web;
using GridMap.Server.Cli;

try
{
    return await WebBench.RunAsync(CliArgs.Parse(args), Console.Out);
}
catch (CliException e)
{
    Console.Error.WriteLine($"gridmap bench web: {e.Message}");
    return 2;
}
