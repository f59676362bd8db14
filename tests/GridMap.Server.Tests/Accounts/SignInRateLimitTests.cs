using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// Password guessing is slowed per client address: past GridMapOptions.SignInsPerMinute attempts in a minute, sign-in
/// answers 429 rate_limited with Retry-After — right password or not — while other addresses and other endpoints go on.
/// </summary>
public abstract class SignInRateLimitTests(string storeKind) : IAsyncLifetime
{
    const int Limit = 3;
    ServerHost _host = null!;
    readonly List<IDisposable> _disposables = [];

    public async Task InitializeAsync() =>
        _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { SeedSample = false, SignInsPerMinute = Limit });

    public async Task DisposeAsync()
    {
        foreach (var d in _disposables) d.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>A browser whose connections come from <paramref name="source"/> (any 127.x.y.z is this machine).</summary>
    HttpClient From(string source)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = true,
            CookieContainer = new CookieContainer(),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = _host.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _disposables.Add(client);
        return client;
    }

    [Fact]
    public async Task More_sign_ins_than_the_limit_from_one_address_get_429_with_Retry_After()
    {
        await AccountKit.AddAsync(_host.Store, "li.planner", Roles.Planner, "520304001");
        var guesser = From("127.0.0.1");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Limit - 1; i++)
            statuses.Add((await guesser.PostAsJsonAsync("/api/auth/sign-in", new { name = "li.planner", password = $"guess number {i}" })).StatusCode);
        statuses.Add((await guesser.PostAsJsonAsync("/api/auth/sign-in", new { name = "li.planner", password = AccountKit.Password })).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, Limit - 1), HttpStatusCode.OK], statuses);

        // One more, even with the right password: refused before the password is looked at, and no session is made.
        var limited = await guesser.PostAsJsonAsync("/api/auth/sign-in", new { name = "li.planner", password = AccountKit.Password });
        var problem = await AccountKit.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter?.Delta);
        Assert.Contains($"at most {Limit} sign-ins a minute", problem["detail"]!.GetValue<string>());
        Assert.Null(AccountKit.SetCookie(limited, AuthSetup.CookieName));
        await AccountKit.AssertProblemAsync(await guesser.PostAsJsonAsync("/api/auth/sign-in", new { name = "nobody", password = "another guess" }),
            HttpStatusCode.TooManyRequests, "rate_limited");

        // The session made before the limit still works, and only sign-in is limited.
        Assert.True(JsonNode.Parse(await guesser.GetStringAsync("/api/auth/me"))!["signed_in"]!.GetValue<bool>());
        for (var i = 0; i < Limit + 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/api/layers")).StatusCode);

        // Another address has its own allowance.
        var other = From("127.0.0.2");
        var signedIn = await other.PostAsJsonAsync("/api/auth/sign-in", new { name = "li.planner", password = AccountKit.Password });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
    }
}

public sealed class SqliteSignInRateLimitTests() : SignInRateLimitTests("sqlite");

public sealed class PostGisSignInRateLimitTests() : SignInRateLimitTests("postgis");
