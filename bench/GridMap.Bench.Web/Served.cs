using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GridMap.Bench.Web;

/// <summary>
/// `dotnet gridmap.dll serve --data DIR --urls http://127.0.0.1:PORT --web WEB --open --no-sample` on a free port, up once
/// /api/health answers; killed on dispose.
/// </summary>
sealed class Served : IAsyncDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    readonly Process _process;
    readonly ConcurrentQueue<string> _tail = new();

    public Uri BaseAddress { get; }

    Served(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public static async Task<Served> StartAsync(string gridmapDll, string dataDir, string webDir, CancellationToken ct)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { gridmapDll, "serve", "--data", dataDir, "--urls", $"http://127.0.0.1:{port}", "--web", webDir, "--open", "--no-sample" })
            start.ArgumentList.Add(a);
        var served = new Served(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), new Uri($"http://127.0.0.1:{port}"));
        served._process.OutputDataReceived += (_, e) => served.Keep(e.Data);
        served._process.ErrorDataReceived += (_, e) => served.Keep(e.Data);
        served._process.BeginOutputReadLine();
        served._process.BeginErrorReadLine();
        // A bench stopped by a signal (SIGTERM, Ctrl+C) takes its servers with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => served.Kill();
        Console.CancelKeyPress += (_, _) => served.Kill();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = served.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline)
            {
                ct.ThrowIfCancellationRequested();
                if (served._process.HasExited)
                    throw new InvalidOperationException($"gridmap serve exited with {served._process.ExitCode}: {string.Join(" | ", served._tail)}");
                try
                {
                    using var health = await http.GetAsync("/api/health", ct);
                    if (health.IsSuccessStatusCode) return served;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
                await Task.Delay(250, ct);
            }
            throw new TimeoutException($"gridmap serve did not answer /api/health within {StartTimeout.TotalSeconds:0} s: {string.Join(" | ", served._tail)}");
        }
        catch
        {
            await served.DisposeAsync();
            throw;
        }
    }

    void Keep(string? line)
    {
        if (line is null) return;
        _tail.Enqueue(line);
        while (_tail.Count > 20) _tail.TryDequeue(out _);
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception) { }
        _process.Dispose();
    }
}
