using System.Globalization;
using System.Threading.RateLimiting;
using GridMap.Server.Accounts;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.RateLimiting;

namespace GridMap.Server.Hosting;

/// <summary>
/// ASP.NET Core's rate limiter (docs/security.md, "Rate limits"): sign-in per client address (password guessing), and the
/// expensive endpoints — partition jobs started or accepted, coverage reports, siting and what-ifs — per account (per
/// client address when anonymous), so one client cannot hold the cores others need. Beyond a limit: 429 with
/// <c>Retry-After</c> (seconds until the window reopens) and a problem body, code <c>rate_limited</c>.
/// </summary>
public static class RateLimits
{
    /// <summary>The policy of the expensive endpoints (partition jobs, coverage, siting).</summary>
    public const string Expensive = "expensive";

    public static void AddGridMapRateLimits(this IServiceCollection services, GridMapOptions options)
    {
        var expensive = options.ExpensiveRequestsPerMinute ?? GridMapOptions.DefaultExpensiveRequestsPerMinute;
        services.AddRateLimiter(o =>
        {
            // Password guessing is slowed per client address; bearer tokens are not guessable and are not limited here.
            o.AddPolicy(AccountsApi.SignInLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                ClientAddress(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInsPerMinute, Window = TimeSpan.FromMinutes(1) }));
            o.AddPolicy(Expensive, http => IsExpensive(http.Request)
                ? RateLimitPartition.GetFixedWindowLimiter(Caller(http),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = expensive, Window = TimeSpan.FromMinutes(1) })
                : RateLimitPartition.GetNoLimiter(""));
            o.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var signIn = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == AccountsApi.SignInLimit;
                // Sign-in always says a whole minute (a guesser learns nothing from it); the others when their window reopens.
                var retry = !signIn && context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;
                http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                var (title, message, limit) = signIn
                    ? ("Too many sign-in attempts", $"at most {options.SignInsPerMinute} sign-ins a minute from one address: wait a minute", options.SignInsPerMinute)
                    : ("Too many requests", $"at most {expensive} partition, coverage and siting requests a minute per account: wait {retry} s", expensive);
                await CodedProblem.Of(StatusCodes.Status429TooManyRequests, "rate_limited", title,
                    [new ProblemError("rate_limited", "/", message, new Dictionary<string, object?> { ["limit"] = limit, ["window_seconds"] = 60, ["retry_after"] = retry })])
                    .ExecuteAsync(http);
            };
        });
    }

    /// <summary>Partition jobs are limited where they cost: starting and accepting (polling a job's status is cheap); coverage always.</summary>
    static bool IsExpensive(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api/partition") || HttpMethods.IsPost(request.Method);

    /// <summary>The account's name, or the client's address when nobody is signed in.</summary>
    static string Caller(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { } name } ? "account:" + name : "address:" + ClientAddress(http);

    static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
