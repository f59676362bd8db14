using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Cli;
using GridMap.Server.Hosting;
using GridMap.Testing;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// `gridmap user …` and `gridmap token …` run in-process (standard input given as a reader) against an embedded data
/// directory and a PostGIS database, with a server running on the same store: what they print, what the store then
/// holds, and that the server honours it on its next request.
/// </summary>
public abstract partial class AccountCliTests(string storeKind) : IAsyncLifetime
{
    string[] _storeArgs = [];
    GridMapOptions _options = null!;
    string _dataDir = "", _connectionString = "";
    ServerHost _server = null!;
    readonly List<CookieBrowser> _browsers = [];

    const string First = "first password 1";
    const string Second = "second password 2";

    public async Task InitializeAsync()
    {
        if (storeKind == "postgis")
        {
            _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_cli_acct");
            _storeArgs = ["--postgres", _connectionString];
            _options = new GridMapOptions { Postgres = _connectionString, SeedSample = false };
        }
        else
        {
            _dataDir = Directory.CreateTempSubdirectory("gridmap-cli-acct-").FullName;
            _storeArgs = ["--data", _dataDir];
            _options = new GridMapOptions { DataDirectory = _dataDir, SeedSample = false };
        }
        _server = await ServerHost.StartOnAsync(_options);
    }

    public async Task DisposeAsync()
    {
        foreach (var b in _browsers) b.Dispose();
        await _server.DisposeAsync();
        if (_connectionString.Length > 0) await PostGisDatabase.DropDatabaseAsync(_connectionString);
        if (_dataDir.Length > 0) try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    /// <summary>Runs `gridmap ARGS --data DIR` (or `--postgres CONN`) with <paramref name="stdin"/> as standard input.</summary>
    async Task<(int Code, string Out, string Err)> RunAsync(string? stdin, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await GridMapCli.RunAsync([.. args, .. _storeArgs], stdout, stderr, new StringReader(stdin ?? ""));
        return (code, stdout.ToString(), stderr.ToString());
    }

    async Task<string> OkAsync(string? stdin, params string[] args)
    {
        var (code, output, error) = await RunAsync(stdin, args);
        Assert.True(code == 0, $"gridmap {string.Join(' ', args)} exited {code}: {error}{output}");
        return output;
    }

    async Task<string> RefusedAsync(string expected, string? stdin, params string[] args)
    {
        var (code, output, error) = await RunAsync(stdin, args);
        Assert.True(code == 2, $"gridmap {string.Join(' ', args)} exited {code}, not 2: {error}{output}");
        Assert.Contains(expected, error);
        return error;
    }

    /// <summary>The account as a newly opened store reads it.</summary>
    async Task<Account?> StoredAsync(string name)
    {
        await using var store = await StoreFactory.OpenAsync(_options, TextWriter.Null);
        return await store.GetAccountAsync(name);
    }

    async Task<IReadOnlyList<ApiToken>> TokensAsync()
    {
        await using var store = await StoreFactory.OpenAsync(_options, TextWriter.Null);
        return await store.ListTokensAsync();
    }

    static IReadOnlyList<string> Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    CookieBrowser Browser()
    {
        var b = new CookieBrowser(_server.Http.BaseAddress!);
        _browsers.Add(b);
        return b;
    }

    HttpClient Bearer(string secret)
    {
        var client = new HttpClient { BaseAddress = _server.Http.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {secret}");
        return client;
    }

    [Fact]
    public async Task Users_are_added_listed_given_new_passwords_and_removed_while_a_server_runs()
    {
        var added = await OkAsync(First + "\n", "user", "add", "li.planner", "--role", "planner", "--scope", "520304001", "--password-stdin");
        Assert.Equal(["added li.planner (planner, scope 520304001)"], Lines(added));
        var li = (await StoredAsync("li.planner"))!;
        Assert.Equal((Roles.Planner, "520304001", false, 1L), (li.Role, li.Scope, li.PasswordGenerated, li.Version));
        Assert.True(Credentials.VerifyPassword(li, First));
        Assert.DoesNotContain(First, li.PasswordHash);

        // The running server sees the account on its next request.
        var browser = Browser();
        Assert.Equal(Roles.Planner, (await browser.SignInOkAsync("li.planner", First))["role"]!.GetValue<string>());

        // Without --password-stdin a one-time password is generated, printed once and marked as such.
        var viewerOut = Lines(await OkAsync(null, "user", "add", "wang.viewer", "--role", "viewer"));
        Assert.Equal("added wang.viewer (viewer)", viewerOut[0]);
        var oneTime = OneTimePassword().Match(viewerOut[1]);
        Assert.True(oneTime.Success, viewerOut[1]);
        var wang = (await StoredAsync("wang.viewer"))!;
        Assert.True(wang.PasswordGenerated);
        Assert.True(Credentials.VerifyPassword(wang, oneTime.Groups[1].Value));

        await OkAsync(First, "user", "add", "chen.worker", "--role", "worker", "--grids", "520304001001001,520304001001002", "--can-edit-households", "--password-stdin");
        var list = Lines(await OkAsync(null, "user", "list"));
        Assert.Contains("li.planner\tplanner\t520304001\t-", list);
        Assert.Contains("wang.viewer\tviewer\t*\t-\tone-time password", list);
        Assert.Contains("chen.worker\tworker\t*\t520304001001001,520304001001002\tcan-edit-households", list);
        Assert.Contains($"{ServerHost.AdminName}\tadmin\t*\t-", list);
        Assert.DoesNotContain(First, string.Join('\n', list));

        // A new password: the old one stops working, and so does the session signed in with it.
        var changed = await OkAsync(Second + "\n", "user", "password", "li.planner", "--password-stdin");
        Assert.Equal(["password of li.planner changed; its sessions end"], Lines(changed));
        li = (await StoredAsync("li.planner"))!;
        Assert.True(Credentials.VerifyPassword(li, Second));
        Assert.False(Credentials.VerifyPassword(li, First));
        Assert.Equal(2L, li.Version);
        await AccountKit.AssertProblemAsync(await browser.Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        await AccountKit.AssertProblemAsync(await Browser().SignInAsync("li.planner", First), HttpStatusCode.Unauthorized, "bad_credentials");
        var again = Browser();
        await again.SignInOkAsync("li.planner", Second);

        // The one-time password of wang is replaced by one of their own.
        await OkAsync(Second, "user", "password", "wang.viewer", "--password-stdin");
        Assert.False((await StoredAsync("wang.viewer"))!.PasswordGenerated);
        Assert.DoesNotContain("one-time password", string.Join('\n', Lines(await OkAsync(null, "user", "list")).Where(l => l.StartsWith("wang.viewer"))));

        Assert.Equal(["removed li.planner and revoked its tokens"], Lines(await OkAsync(null, "user", "remove", "li.planner")));
        Assert.Null(await StoredAsync("li.planner"));
        Assert.DoesNotContain(Lines(await OkAsync(null, "user", "list")), l => l.StartsWith("li.planner\t"));
        await AccountKit.AssertProblemAsync(await again.Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        await RefusedAsync("no account named li.planner", null, "user", "remove", "li.planner");
    }

    [Fact]
    public async Task Tokens_are_created_listed_and_revoked_while_a_server_runs()
    {
        await OkAsync(First, "user", "add", "sync.script", "--role", "admin", "--password-stdin");
        var created = Lines(await OkAsync(null, "token", "create", "sync.script"));
        var header = TokenHeader().Match(created[0]);
        Assert.True(header.Success, created[0]);
        var id = header.Groups[1].Value;
        // The secret alone on the last line, for `tail -n 1`.
        var secret = created[^1];
        Assert.Matches("^gm_[A-Za-z0-9_-]{43}$", secret);
        var stored = Assert.Single(await TokensAsync(), t => t.Account == "sync.script");
        Assert.Equal((id, Credentials.HashToken(secret), null), (stored.Id, stored.Hash, stored.RevokedAt));

        using var script = Bearer(secret);
        Assert.Equal("sync.script", JsonNode.Parse(await script.GetStringAsync("/api/auth/me"))!["name"]!.GetValue<string>());

        var list = await OkAsync(null, "token", "list");
        Assert.Matches($@"(?m)^{id}\tsync\.script\t\d{{4}}-\d\d-\d\d \d\d:\d\d\tlive\r?$", list);
        Assert.DoesNotContain(secret, list);
        Assert.DoesNotContain("gm_", list);

        Assert.Equal([$"revoked {id}"], Lines(await OkAsync(null, "token", "revoke", id)));
        await AccountKit.AssertProblemAsync(await script.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.NotNull(Assert.Single(await TokensAsync(), t => t.Id == id).RevokedAt);
        Assert.Matches($@"(?m)^{id}\tsync\.script\t.*\trevoked \d{{4}}-", await OkAsync(null, "token", "list"));
        await RefusedAsync($"no live token {id}", null, "token", "revoke", id);

        // Removing the account revokes the tokens it still has.
        var secondSecret = Lines(await OkAsync(null, "token", "create", "sync.script"))[^1];
        using var second = Bearer(secondSecret);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/layers")).StatusCode);
        await OkAsync(null, "user", "remove", "sync.script");
        Assert.All(await TokensAsync(), t => Assert.True(t.Account != "sync.script" || t.RevokedAt is not null, t.Id));
        await AccountKit.AssertProblemAsync(await second.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");

        await RefusedAsync("no account named nobody", null, "token", "create", "nobody");
        await RefusedAsync("usage: gridmap token create NAME", null, "token", "create");
        await RefusedAsync("unknown 'mint'", null, "token", "mint", "x");
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_clear_message_and_writes_nothing()
    {
        var before = (await StoredAsync(ServerHost.AdminName))!;
        await RefusedAsync("--role must be one of admin, planner, organisation, worker, viewer", First, "user", "add", "x.boss", "--role", "boss", "--password-stdin");
        await RefusedAsync("--role is required", First, "user", "add", "x.none", "--password-stdin");
        await RefusedAsync("--password-stdin: a password has at least 10 characters", "short\n", "user", "add", "x.short", "--role", "planner", "--password-stdin");
        await RefusedAsync("--password-stdin: a password has at least 10 characters", "", "user", "add", "x.empty", "--role", "planner", "--password-stdin");
        await RefusedAsync("--scope: a scope is a division-code prefix", First, "user", "add", "x.scope", "--role", "planner", "--scope", "52-03", "--password-stdin");
        await RefusedAsync("a worker names their grids: --grids", First, "user", "add", "x.worker", "--role", "worker", "--password-stdin");
        await RefusedAsync("unknown option --bogus", First, "user", "add", "x.bogus", "--role", "planner", "--bogus", "1", "--password-stdin");
        await RefusedAsync("usage: gridmap user add NAME", First, "user", "add", "--role", "planner", "--password-stdin");
        // A name the API could not address (/api/accounts/{name}) is refused as the API refuses it.
        await RefusedAsync("a name is 1–64 letters, digits", First, "user", "add", "li planner/2", "--role", "planner", "--password-stdin");
        await RefusedAsync("unknown 'frob'", null, "user", "frob");

        await using (var store = await StoreFactory.OpenAsync(_options, TextWriter.Null))
            Assert.Equal([ServerHost.AdminName], (await store.ListAccountsAsync()).Select(a => a.Name));

        await OkAsync(First, "user", "add", "li.planner", "--role", "planner", "--password-stdin");
        await RefusedAsync("an account named li.planner exists", Second, "user", "add", "li.planner", "--role", "admin", "--password-stdin");
        await RefusedAsync("--password-stdin: a password has at least 10 characters", "123456789\n", "user", "password", "li.planner", "--password-stdin");
        var li = (await StoredAsync("li.planner"))!;
        Assert.Equal((Roles.Planner, 1L), (li.Role, li.Version));
        Assert.True(Credentials.VerifyPassword(li, First));
        await RefusedAsync("no account named nobody", Second, "user", "password", "nobody", "--password-stdin");
        var after = (await StoredAsync(ServerHost.AdminName))!;
        Assert.Equal((before.Version, before.PasswordHash, before.Role), (after.Version, after.PasswordHash, after.Role));
    }

    [GeneratedRegex(@"^one-time password for wang\.viewer: ([A-Za-z0-9]{16})$")]
    private static partial Regex OneTimePassword();

    [GeneratedRegex(@"^token (t[0-9a-f]{10}) for sync\.script \(shown once")]
    private static partial Regex TokenHeader();
}

public sealed class SqliteAccountCliTests() : AccountCliTests("sqlite");

public sealed class PostGisAccountCliTests() : AccountCliTests("postgis");
