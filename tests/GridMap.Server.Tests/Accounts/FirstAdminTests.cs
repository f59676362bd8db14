using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Cli;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;
using GridMap.Testing;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// A new store's first admin (made once, with a one-time password, however many servers start at once), the refusal to
/// listen beyond loopback while that password is the only admin's, and account creation that never overwrites — on both
/// stores, in-process and through `gridmap serve`.
/// </summary>
public abstract class FirstAdminTests(string storeKind) : IAsyncLifetime
{
    string _dataDir = "", _connectionString = "";
    string[] _storeArgs = [];
    readonly List<IFeatureStore> _stores = [];

    public async Task InitializeAsync()
    {
        if (storeKind == "postgis")
        {
            _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_first_admin");
            _storeArgs = ["--postgres", _connectionString];
        }
        else
        {
            _dataDir = Directory.CreateTempSubdirectory("gridmap-first-admin-").FullName;
            _storeArgs = ["--data", _dataDir];
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _stores) await s.DisposeAsync();
        if (_connectionString.Length > 0) await PostGisDatabase.DropDatabaseAsync(_connectionString);
        if (_dataDir.Length > 0) try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    /// <summary>The test's store, opened (another connection each time: as another process would).</summary>
    async Task<IFeatureStore> OpenAsync()
    {
        IFeatureStore store = storeKind == "postgis" ? await PostGisStore.OpenAsync(_connectionString) : (await SqliteStore.OpenAsync(_dataDir)).Store;
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task A_new_store_gets_an_admin_with_a_one_time_password_exactly_once()
    {
        var store = await OpenAsync();
        Assert.Empty(await store.ListAccountsAsync());
        var password = await AccountRules.EnsureAdminAsync(store);
        Assert.NotNull(password);
        Assert.Matches("^[A-Za-z0-9]{16}$", password);
        var admin = Assert.Single(await store.ListAccountsAsync());
        Assert.Equal((AccountRules.FirstAdmin, Roles.Admin, null, true, 1L), (admin.Name, admin.Role, admin.Scope, admin.PasswordGenerated, admin.Version));
        Assert.True(Credentials.VerifyPassword(admin, password));
        Assert.DoesNotContain(password, admin.PasswordHash);

        // Again, and from another connection: nothing more, and the admin is untouched.
        Assert.Null(await AccountRules.EnsureAdminAsync(store));
        Assert.Null(await AccountRules.EnsureAdminAsync(await OpenAsync()));
        var after = Assert.Single(await store.ListAccountsAsync());
        Assert.Equal((admin.Version, admin.PasswordHash), (after.Version, after.PasswordHash));

    }

    [Fact]
    public async Task A_store_that_has_accounts_gets_no_admin_of_its_own_making()
    {
        var store = await OpenAsync();
        await AccountKit.AddAsync(store, "li.planner", Roles.Planner);
        Assert.Null(await AccountRules.EnsureAdminAsync(store));
        Assert.Equal(["li.planner"], (await store.ListAccountsAsync()).Select(a => a.Name));
    }

    [Fact]
    public async Task Servers_starting_at_once_on_a_new_store_make_one_admin_and_print_its_working_password_once()
    {
        var stores = new List<IFeatureStore>();
        for (var i = 0; i < 6; i++) stores.Add(await OpenAsync());
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = stores.Select(s => Task.Run(async () =>
        {
            await go.Task;
            return await AccountRules.EnsureAdminAsync(s);
        })).ToList();
        go.SetResult();
        var passwords = await Task.WhenAll(starts);
        var printed = Assert.Single(passwords, p => p is not null)!;
        var admin = (await stores[0].GetAccountAsync(AccountRules.FirstAdmin))!;
        Assert.True(Credentials.VerifyPassword(admin, printed), "the password printed is not the admin's");
        Assert.Equal(1L, admin.Version);
    }

    [Fact]
    public async Task Creating_an_account_never_overwrites_one_made_at_the_same_moment()
    {
        var stores = new List<IFeatureStore>();
        for (var i = 0; i < 8; i++) stores.Add(await OpenAsync());
        for (var round = 0; round < 5; round++)
        {
            var name = $"race{round}";
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = stores.Select((s, i) => Task.Run(async () =>
            {
                await go.Task;
                var account = new Account(name, Roles.Viewer, null, [$"writer{i}"], false, $"hash{i}", false, DateTimeOffset.UtcNow);
                try
                {
                    return (Writer: i, Won: true, Version: (await s.PutAccountAsync(account, 0)).Version);
                }
                catch (AccountConflictException)
                {
                    return (Writer: i, Won: false, Version: 0L);
                }
            })).ToList();
            go.SetResult();
            var results = await Task.WhenAll(attempts);
            var winner = Assert.Single(results, r => r.Won);
            Assert.Equal(1L, winner.Version);
            var stored = (await stores[0].GetAccountAsync(name))!;
            Assert.Equal(($"writer{winner.Writer}", $"hash{winner.Writer}", 1L), (string.Join(",", stored.Grids), stored.PasswordHash, stored.Version));
        }
    }

    [Fact]
    public async Task The_server_may_listen_beyond_loopback_only_once_an_admin_has_a_password_of_its_own()
    {
        var store = await OpenAsync();
        await AccountRules.EnsureAdminAsync(store);
        await AccountKit.AddAsync(store, "li.planner", Roles.Planner); // a non-admin's own password does not count

        foreach (var exposed in new[] { "http://0.0.0.0:5080", "http://*:5080", "http://+:5080", "http://[::]:5080", "http://192.168.1.10:5080", "http://gridmap.example:5080" })
        {
            var problem = await AccountRules.ExposureProblemAsync(store, [exposed]);
            Assert.NotNull(problem);
            Assert.Contains($"refusing to listen on {exposed}", problem);
            Assert.Contains("gridmap user password admin --password-stdin", problem);
        }
        var mixed = await AccountRules.ExposureProblemAsync(store, ["http://127.0.0.1:5080", "http://0.0.0.0:5081"]);
        Assert.StartsWith("refusing to listen on http://0.0.0.0:5081:", mixed);

        string[] loopback = ["http://127.0.0.1:5080", "http://localhost:5080", "http://[::1]:5080", "https://127.0.0.1:5443", "http://127.0.0.2:5080"];
        Assert.Null(await AccountRules.ExposureProblemAsync(store, loopback));

        // The admin sets a password of its own: any address is allowed.
        var admin = (await store.GetAccountAsync(AccountRules.FirstAdmin))!;
        await store.PutAccountAsync(admin with { PasswordHash = Credentials.HashPassword(admin, AccountKit.Password), PasswordGenerated = false }, admin.Version);
        Assert.Null(await AccountRules.ExposureProblemAsync(store, ["http://0.0.0.0:5080", "http://[::]:5080"]));
        Assert.Null(await AccountRules.ExposureProblemAsync(store, loopback));
    }

    [Fact]
    public async Task Another_admin_with_its_own_password_allows_listening_beyond_loopback()
    {
        var store = await OpenAsync();
        await AccountRules.EnsureAdminAsync(store);
        Assert.NotNull(await AccountRules.ExposureProblemAsync(store, ["http://0.0.0.0:5080"]));
        await AccountKit.AddAsync(store, "root", Roles.Admin);
        Assert.Null(await AccountRules.ExposureProblemAsync(store, ["http://0.0.0.0:5080"]));
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>`dotnet gridmap.dll serve …` as a child process; it must exit within a minute, else it is killed and the test fails.</summary>
    async Task<(int Code, string Out, string Err)> ServeAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "gridmap.dll"), "serve", .. args, .. _storeArgs, "--no-sample"])
            start.ArgumentList.Add(a);
        start.Environment.Remove("GRIDMAP_POSTGRES");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"gridmap serve {string.Join(' ', args)} did not exit within 60 s: {await stdout} {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Gridmap_serve_on_all_addresses_refuses_while_the_admin_has_its_generated_password()
    {
        var url = $"http://0.0.0.0:{FreePort()}";
        var (code, output, error) = await ServeAsync("--urls", url);
        Assert.True(code == 2, $"exit {code}: {output} {error}");
        Assert.Contains($"gridmap: refusing to listen on {url}: the only admin still has its generated password", error);
        Assert.DoesNotContain("GridMap serving", output);
        var printed = System.Text.RegularExpressions.Regex.Match(output, "created the account admin with the one-time password: ([A-Za-z0-9]{16})");
        Assert.True(printed.Success, output);

        // A second start prints no new password (the admin exists) and still refuses.
        var second = await ServeAsync("--urls", url);
        Assert.Equal(2, second.Code);
        Assert.DoesNotContain("one-time password", second.Out);
        Assert.Contains("refusing to listen on", second.Err);

        // The password printed the first time is the admin's.
        var admin = (await (await OpenAsync()).GetAccountAsync(AccountRules.FirstAdmin))!;
        Assert.True(admin.PasswordGenerated);
        Assert.True(Credentials.VerifyPassword(admin, printed.Groups[1].Value));

        // `gridmap user password admin` is the way out the message names.
        var (stdoutWriter, stderrWriter) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, await GridMapCli.RunAsync(["user", "password", "admin", "--password-stdin", .. _storeArgs], stdoutWriter, stderrWriter, new StringReader(AccountKit.Password)));
        Assert.Null(await AccountRules.ExposureProblemAsync(await OpenAsync(), [url]));
    }
}

public sealed class SqliteFirstAdminTests() : FirstAdminTests("sqlite");

public sealed class PostGisFirstAdminTests() : FirstAdminTests("postgis");
