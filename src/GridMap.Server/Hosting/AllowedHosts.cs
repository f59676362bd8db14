using System.Net;
using GridMap.Server.Problems;

namespace GridMap.Server.Hosting;

/// <summary>
/// Which <c>Host</c> names the server answers (DNS rebinding: a page on an attacker's name that later resolves to this
/// machine would otherwise read the map with the visitor's session). Allowed: IP literals (a rebinding needs a name),
/// the loopback names, the host names in <c>--urls</c>, and the names the operator gives (<c>--allowed-hosts a,b</c> or
/// <c>AllowedHosts</c> in appsettings.json, <c>;</c>-separated as in ASP.NET Core's host filtering; <c>*.example.org</c>
/// matches sub-domains, <c>*</c> any name). Anything else: 400 <c>host_not_allowed</c> (problem+json).
/// </summary>
public sealed class AllowedHosts
{
    static readonly string[] Loopback = ["localhost", "localhost.localdomain"];

    readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    readonly List<string> _suffixes = [];
    readonly bool _any;

    public AllowedHosts(IEnumerable<string> names)
    {
        foreach (var raw in names)
        {
            var name = raw.Trim().TrimEnd('.');
            if (name.Length == 0) continue;
            if (name == "*") _any = true;
            else if (name.StartsWith("*.", StringComparison.Ordinal)) _suffixes.Add(name[1..]);
            else _exact.Add(name);
        }
    }

    /// <summary>The server's list: loopback names, the names in its URLs, the options' and the configuration's names.</summary>
    public static AllowedHosts For(GridMapOptions options, IConfiguration configuration, IEnumerable<string>? urls)
    {
        var fromUrls = (urls ?? []).Select(u => Uri.TryCreate(u.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri) ? uri.Host : null)
            .OfType<string>();
        var configured = (configuration["AllowedHosts"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new AllowedHosts([.. Loopback, .. fromUrls, .. options.AllowedHosts, .. configured]);
    }

    /// <summary>Whether a request's <c>Host</c> (name or IP literal, port ignored) may be answered.</summary>
    public bool Allows(HostString host)
    {
        if (!host.HasValue) return true; // HTTP/1.0 without Host: no name to rebind
        var name = host.Host.TrimEnd('.');
        if (_any || IPAddress.TryParse(name.Trim('[', ']'), out _)) return true;
        if (_exact.Contains(name)) return true;
        return _suffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase) && name.Length > s.Length);
    }
}

public static class AllowedHostsMiddleware
{
    public static void UseAllowedHosts(this WebApplication app, GridMapOptions options, IEnumerable<string>? urls)
    {
        var allowed = AllowedHosts.For(options, app.Configuration, urls);
        app.Use(async (http, next) =>
        {
            if (allowed.Allows(http.Request.Host)) { await next(http); return; }
            await CodedProblem.Of(StatusCodes.Status400BadRequest, "host_not_allowed", "Host not allowed",
                [new ProblemError("host_not_allowed", "Host", $"this server does not answer the name {http.Request.Host.Host}: the operator lists its names with --allowed-hosts",
                    new Dictionary<string, object?> { ["host"] = http.Request.Host.Host })]).ExecuteAsync(http);
        });
    }
}
