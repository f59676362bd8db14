using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// Bearer tokens through the admin's API: shown once, never listed, kept only as a hash, checked against the store on
/// every request (a revoked token or a removed account fails at once) — on both stores.
/// </summary>
public abstract class BearerTokenTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    readonly List<HttpClient> _clients = [];

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { SeedSample = false });

    public async Task DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        await _host.DisposeAsync();
    }

    HttpClient Bearer(string secret)
    {
        var client = new HttpClient { BaseAddress = _host.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {secret}");
        _clients.Add(client);
        return client;
    }

    async Task<(string Id, string Secret)> CreateTokenAsync(string account)
    {
        var response = await _host.Http.PostAsJsonAsync("/api/tokens", new { account });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var token = JsonNode.Parse(body)!;
        var id = token["id"]!.GetValue<string>();
        Assert.Equal($"/api/tokens/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(account, token["account"]!.GetValue<string>());
        return (id, token["token"]!.GetValue<string>());
    }

    /// <summary>Everything the store keeps of its tokens, read beneath the store's interface.</summary>
    async Task<string> RawTokenTableAsync()
    {
        switch (_host.Store)
        {
            case PostGisStore pg:
                await using (var cmd = pg.DataSource.CreateCommand("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM tokens t"))
                    return (string)(await cmd.ExecuteScalarAsync())!;
            case SqliteStore sqlite:
                // The whole database file and its write-ahead log, byte for byte.
                var sb = new StringBuilder();
                foreach (var path in new[] { sqlite.Path, sqlite.Path + "-wal" }.Where(File.Exists))
                {
                    await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var memory = new MemoryStream();
                    await file.CopyToAsync(memory);
                    sb.Append(Encoding.Latin1.GetString(memory.ToArray()));
                }
                return sb.ToString();
            default:
                throw new InvalidOperationException(_host.Store.GetType().Name);
        }
    }

    [Fact]
    public async Task A_token_is_shown_once_listed_without_its_secret_and_stored_only_as_its_hash()
    {
        await AccountKit.AddAsync(_host.Store, "sync.script", Roles.Planner, "520304001");
        var (id, secret) = await CreateTokenAsync("sync.script");
        Assert.StartsWith("gm_", secret);
        Assert.True(secret.Length >= 40, secret);

        // The list names the token, never its secret or its hash.
        var list = await _host.Http.GetAsync("/api/tokens");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listed = await list.Content.ReadAsStringAsync();
        var stored = (await _host.Store.FindTokenAsync(Credentials.HashToken(secret)))!;
        Assert.Equal((id, "sync.script", null), (stored.Id, stored.Account, stored.RevokedAt));
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain("gm_", listed);
        Assert.DoesNotContain(stored.Hash, listed);
        var entry = JsonNode.Parse(listed)!.AsArray().Single(t => t!["id"]!.GetValue<string>() == id)!.AsObject();
        Assert.Equal(["account", "created_at", "id", "revoked_at"], entry.Select(kv => kv.Key).Order(StringComparer.Ordinal));

        // The store keeps the SHA-256 of the secret and nothing from which the secret could be read back.
        Assert.Equal(64, stored.Hash.Length);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret))), stored.Hash);
        var raw = await RawTokenTableAsync();
        Assert.Contains(stored.Hash, raw);
        Assert.DoesNotContain(secret, raw);
        Assert.DoesNotContain(secret["gm_".Length..], raw);

        // Only the admin makes tokens, and only for accounts that exist.
        var planner = await _host.ClientAsync(Roles.Planner, "520304001");
        await AccountKit.AssertProblemAsync(await planner.PostAsJsonAsync("/api/tokens", new { account = "sync.script" }), HttpStatusCode.Forbidden, "role");
        await AccountKit.AssertProblemAsync(await planner.GetAsync("/api/tokens"), HttpStatusCode.Forbidden, "role");
        await AccountKit.AssertProblemAsync(await _host.Anonymous.PostAsJsonAsync("/api/tokens", new { account = "sync.script" }), HttpStatusCode.Unauthorized, "not_signed_in");
        await AccountKit.AssertProblemAsync(await _host.Http.PostAsJsonAsync("/api/tokens", new { account = "nobody" }), HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain((await _host.Store.ListTokensAsync()), t => t.Account == "nobody");
    }

    [Fact]
    public async Task A_token_acts_as_its_account_as_it_is_now_and_fails_at_once_when_revoked()
    {
        await AccountKit.AddAsync(_host.Store, "sync.script", Roles.Planner, "520304001");
        var (id, secret) = await CreateTokenAsync("sync.script");
        var script = Bearer(secret);

        var me = JsonNode.Parse(await script.GetStringAsync("/api/auth/me"))!;
        Assert.True(me["signed_in"]!.GetValue<bool>());
        Assert.Equal(("sync.script", Roles.Planner, "520304001"), (me["name"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["scope"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/layers")).StatusCode);

        // The account is read on every request: a new role holds at once, without a new token.
        var account = (await _host.Store.GetAccountAsync("sync.script"))!;
        await _host.Store.PutAccountAsync(account with { Role = Roles.Viewer }, account.Version);
        Assert.Equal(Roles.Viewer, JsonNode.Parse(await script.GetStringAsync("/api/auth/me"))!["role"]!.GetValue<string>());

        var revoke = await _host.Http.DeleteAsync($"/api/tokens/{id}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var refused = await script.GetAsync("/api/layers");
        await AccountKit.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.Contains("Bearer", refused.Headers.WwwAuthenticate.ToString());
        Assert.False(JsonNode.Parse(await script.GetStringAsync("/api/auth/me"))!["signed_in"]!.GetValue<bool>());
        Assert.NotNull((await _host.Store.FindTokenAsync(Credentials.HashToken(secret)))!.RevokedAt);
        var listed = JsonNode.Parse(await _host.Http.GetStringAsync("/api/tokens"))!.AsArray().Single(t => t!["id"]!.GetValue<string>() == id)!;
        Assert.NotNull(listed["revoked_at"]?.GetValue<DateTimeOffset>());

        // A revoked (or unknown) token cannot be revoked again.
        await AccountKit.AssertProblemAsync(await _host.Http.DeleteAsync($"/api/tokens/{id}"), HttpStatusCode.NotFound, "not_found");
        await AccountKit.AssertProblemAsync(await _host.Http.DeleteAsync("/api/tokens/t0000000000"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Removing_an_account_revokes_its_tokens()
    {
        await AccountKit.AddAsync(_host.Store, "sync.script", Roles.Planner, "520304001");
        var (_, first) = await CreateTokenAsync("sync.script");
        var (_, second) = await CreateTokenAsync("sync.script");
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(second).GetAsync("/api/layers")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync("/api/accounts/sync.script")).StatusCode);
        foreach (var secret in new[] { first, second })
        {
            await AccountKit.AssertProblemAsync(await Bearer(secret).GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
            Assert.NotNull((await _host.Store.FindTokenAsync(Credentials.HashToken(secret)))!.RevokedAt);
        }
        // An account of the same name made later does not bring the old tokens back.
        await AccountKit.AddAsync(_host.Store, "sync.script", Roles.Admin);
        await AccountKit.AssertProblemAsync(await Bearer(first).GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");

        // The admin cannot remove the account it is signed in with.
        await AccountKit.AssertProblemAsync(await _host.Http.DeleteAsync($"/api/accounts/{ServerHost.AdminName}"), HttpStatusCode.Forbidden, "own_account");
        Assert.NotNull(await _host.Store.GetAccountAsync(ServerHost.AdminName));
    }

    [Theory]
    [InlineData("gm_not-a-token")]
    [InlineData("gm_")]
    [InlineData("x")]
    public async Task A_garbage_token_gets_401_not_signed_in(string garbage)
    {
        var client = Bearer(garbage);
        var refused = await client.GetAsync("/api/layers");
        await AccountKit.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.Contains("Bearer", refused.Headers.WwwAuthenticate.ToString());
        await AccountKit.AssertProblemAsync(await client.PostAsync("/api/layers/stations/features", AccountKit.GeoJson(TinyCity.Station)),
            HttpStatusCode.Unauthorized, "not_signed_in");
        // Endpoints open to everyone answer as to a visitor.
        Assert.False(JsonNode.Parse(await client.GetStringAsync("/api/auth/me"))!["signed_in"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
    }

    [Fact]
    public async Task An_overlong_token_gets_401_without_a_store_lookup_failure()
    {
        var client = Bearer("gm_" + new string('a', 500));
        await AccountKit.AssertProblemAsync(await client.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        var other = new HttpClient { BaseAddress = _host.Http.BaseAddress };
        _clients.Add(other);
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWRtaW46cGFzc3dvcmQ=");
        await AccountKit.AssertProblemAsync(await other.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
    }
}

public sealed class SqliteBearerTokenTests() : BearerTokenTests("sqlite");

public sealed class PostGisBearerTokenTests() : BearerTokenTests("postgis");
