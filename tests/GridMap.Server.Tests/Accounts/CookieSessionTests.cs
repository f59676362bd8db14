using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// The web map's cookie session over real HTTP (a cookie jar, as a browser has): sign-in, the session cookie's flags,
/// anti-forgery on writes, sign-out, and sessions that end when their account changes — on both stores.
/// </summary>
public abstract class CookieSessionTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    readonly List<CookieBrowser> _browsers = [];

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { SeedSample = false });

    public async Task DisposeAsync()
    {
        foreach (var b in _browsers) b.Dispose();
        await _host.DisposeAsync();
    }

    CookieBrowser Browser()
    {
        var b = new CookieBrowser(_host.Http.BaseAddress!);
        _browsers.Add(b);
        return b;
    }

    /// <summary>A copy of a session: a new jar holding only this cookie value (as someone who copied it would).</summary>
    CookieBrowser Replay(string sessionCookie)
    {
        var b = Browser();
        b.Jar.Add(_host.Http.BaseAddress!, new Cookie(AuthSetup.CookieName, sessionCookie));
        return b;
    }

    [Fact]
    public async Task Me_names_the_scope_by_its_area_so_a_provisional_district_reads_as_its_name_not_its_code()
    {
        // An imported district with a provisional code (990002): the map says 成华区, not 990002.
        var district = new JsonObject
        {
            ["type"] = "Feature", ["id"] = "990002",
            ["geometry"] = JsonNode.Parse("{\"type\":\"Polygon\",\"coordinates\":[[[104.05,30.65],[104.15,30.65],[104.15,30.72],[104.05,30.72],[104.05,30.65]]]}"),
            ["properties"] = new JsonObject { ["code"] = "990002", ["name"] = "成华区" },
        };
        var stored = await _host.Http.PostAsync("/api/layers/districts/features", ServerHost.Json(district.ToJsonString()));
        Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
        foreach (var (name, scope, expected) in new[] { ("chen.org", "990002", (string?)"成华区"), ("wang.org", "990003", null) })
        {
            var created = await _host.Http.PostAsJsonAsync("/api/accounts", new { name, role = Roles.Organisation, scope, password = AccountKit.Password });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var browser = Browser();
            Assert.Equal(HttpStatusCode.OK, (await browser.SignInAsync(name, AccountKit.Password)).StatusCode);
            var me = await browser.MeAsync();
            Assert.Equal(scope, me["scope"]!.GetValue<string>());
            Assert.Equal(expected, me["scope_name"]?.GetValue<string>());
        }
    }

    [Fact]
    public async Task Sign_in_sets_an_HttpOnly_SameSite_Strict_session_and_me_describes_the_account()
    {
        // The admin adds the planner through the API; the answer and the store hold no password.
        var created = await _host.Http.PostAsJsonAsync("/api/accounts",
            new { name = "li.planner", role = Roles.Planner, scope = "520304001", password = AccountKit.Password });
        var createdBody = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, createdBody);
        Assert.DoesNotContain(AccountKit.Password, createdBody);
        Assert.DoesNotContain("hash", createdBody);
        var stored = (await _host.Store.GetAccountAsync("li.planner"))!;
        Assert.Equal((Roles.Planner, "520304001", false), (stored.Role, stored.Scope, stored.PasswordGenerated));
        Assert.NotNull(stored.PasswordHash);
        Assert.DoesNotContain(AccountKit.Password, stored.PasswordHash);
        Assert.True(Credentials.VerifyPassword(stored, AccountKit.Password));

        var browser = Browser();
        var before = await browser.MeAsync();
        Assert.False(before["signed_in"]!.GetValue<bool>());
        Assert.Null(before["antiforgery"]);
        Assert.Null(browser.Antiforgery);

        var response = await browser.SignInAsync("li.planner", AccountKit.Password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = AccountKit.SetCookie(response, AuthSetup.CookieName);
        Assert.NotNull(setCookie);
        var flags = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(f => f.ToLowerInvariant()).ToList();
        Assert.Contains("httponly", flags);
        Assert.Contains("samesite=strict", flags);
        Assert.Contains("path=/", flags);
        Assert.NotNull(browser.SessionCookie);
        var signedIn = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("li.planner", signedIn["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(signedIn["antiforgery"]?.GetValue<string>()));

        var me = await browser.MeAsync();
        Assert.True(me["signed_in"]!.GetValue<bool>());
        Assert.Equal("li.planner", me["name"]!.GetValue<string>());
        Assert.Equal(Roles.Planner, me["role"]!.GetValue<string>());
        Assert.Equal("520304001", me["scope"]!.GetValue<string>());
        Assert.False(me["password_generated"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(me["antiforgery"]?.GetValue<string>()));

        // The session reads what an account reads (this server is not --open).
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/layers")).StatusCode);
        // Accounts stay the admin's: a planner's session is refused them.
        await AccountKit.AssertProblemAsync(await browser.Http.GetAsync("/api/accounts"), HttpStatusCode.Forbidden, "role");
    }

    [Fact]
    public async Task A_cookie_sessions_writes_need_the_antiforgery_header_and_nothing_is_written_without_it()
    {
        await TinyCity.LoadAsync(_host.Http);
        await AccountKit.AddAsync(_host.Store, "zhao.org", Roles.Organisation, "520304001");
        await AccountKit.AddAsync(_host.Store, "root", Roles.Admin);
        var org = Browser();
        await org.SignInOkAsync("zhao.org", AccountKit.Password);
        var station = TinyCity.Station.Replace("\"s1\"", "\"s2\"").Replace("106.825,27.525", "106.826,27.526");

        // No header, a made-up header, and another session's token: 403 antiforgery, and no station s2.
        await AccountKit.AssertProblemAsync(
            await org.SendAsync(HttpMethod.Post, "/api/layers/stations/features", AccountKit.GeoJson(station), antiforgery: false),
            HttpStatusCode.Forbidden, "antiforgery");
        var forged = new HttpRequestMessage(HttpMethod.Post, "/api/layers/stations/features") { Content = AccountKit.GeoJson(station) };
        forged.Headers.Add(AuthSetup.AntiforgeryHeader, "not-a-token");
        await AccountKit.AssertProblemAsync(await org.Http.SendAsync(forged), HttpStatusCode.Forbidden, "antiforgery");
        var admin = Browser();
        await admin.SignInOkAsync("root", AccountKit.Password);
        var borrowed = new HttpRequestMessage(HttpMethod.Post, "/api/layers/stations/features") { Content = AccountKit.GeoJson(station) };
        borrowed.Headers.Add(AuthSetup.AntiforgeryHeader, admin.Antiforgery);
        await AccountKit.AssertProblemAsync(await org.Http.SendAsync(borrowed), HttpStatusCode.Forbidden, "antiforgery");
        Assert.Null(await _host.Store.GetAsync(Layer.Stations, "s2"));

        // With the session's own token: written, and the change set names the account.
        var ok = await org.SendAsync(HttpMethod.Post, "/api/layers/stations/features", AccountKit.GeoJson(station));
        Assert.True(ok.StatusCode == HttpStatusCode.Created, await ok.Content.ReadAsStringAsync());
        Assert.NotNull(await _host.Store.GetAsync(Layer.Stations, "s2"));
        var history = await _host.Store.FeatureHistoryAsync(Layer.Stations, "s2");
        Assert.Equal("zhao.org", Assert.Single(history).Change.Author);

        // The admin's session and the store's band: the same rule on a settings write with If-Match.
        var band = JsonContent.Create(new { min = 150, max = 250 });
        await AccountKit.AssertProblemAsync(await admin.SendAsync(HttpMethod.Put, "/api/settings/band", band, antiforgery: false, ifMatch: "\"0\""),
            HttpStatusCode.Forbidden, "antiforgery");
        Assert.Null(await _host.Store.GetSettingAsync("band"));
        var put = await admin.SendAsync(HttpMethod.Put, "/api/settings/band", JsonContent.Create(new { min = 150, max = 250 }), ifMatch: "\"0\"");
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        var setting = (await _host.Store.GetSettingAsync("band"))!;
        Assert.Equal((1L, 150, 250), (setting.Version, setting.Value["min"]!.GetValue<int>(), setting.Value["max"]!.GetValue<int>()));

        // Reads need no token, and bearer clients (no ambient credential) need none for writes.
        Assert.Equal(HttpStatusCode.OK, (await org.SendAsync(HttpMethod.Get, "/api/layers/stations/features", antiforgery: false)).StatusCode);
        var bearer = await _host.Http.PostAsync("/api/layers/stations/features", AccountKit.GeoJson(station.Replace("\"s2\"", "\"s3\"")));
        Assert.Equal(HttpStatusCode.Created, bearer.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_name_get_the_same_401_and_no_session()
    {
        await AccountKit.AddAsync(_host.Store, "li.planner", Roles.Planner, "520304001");
        var browser = Browser();
        var wrongPassword = await browser.SignInAsync("li.planner", "wrong password!");
        var unknownName = await browser.SignInAsync("nobody.here", "wrong password!");
        var a = await AccountKit.AssertProblemAsync(wrongPassword, HttpStatusCode.Unauthorized, "bad_credentials");
        var b = await AccountKit.AssertProblemAsync(unknownName, HttpStatusCode.Unauthorized, "bad_credentials");
        foreach (var field in new[] { "title", "detail", "errors" })
            Assert.Equal(a[field]?.ToJsonString(), b[field]?.ToJsonString());
        Assert.Null(AccountKit.SetCookie(wrongPassword, AuthSetup.CookieName));
        Assert.Null(AccountKit.SetCookie(unknownName, AuthSetup.CookieName));
        Assert.Null(browser.SessionCookie);
        Assert.False((await browser.MeAsync())["signed_in"]!.GetValue<bool>());

        // The right name in another case is another (unknown) name; a missing password is a 400.
        await AccountKit.AssertProblemAsync(await browser.SignInAsync("LI.PLANNER", AccountKit.Password), HttpStatusCode.Unauthorized, "bad_credentials");
        await AccountKit.AssertProblemAsync(await browser.Http.PostAsJsonAsync("/api/auth/sign-in", new { name = "li.planner" }),
            HttpStatusCode.BadRequest, "missing_field");
    }

    [Fact]
    public async Task Sign_out_answers_204_and_ends_the_browsers_session()
    {
        await TinyCity.LoadAsync(_host.Http);
        await AccountKit.AddAsync(_host.Store, "zhao.org", Roles.Organisation, "520304001");
        var browser = Browser();
        await browser.SignInOkAsync("zhao.org", AccountKit.Password);
        var token = browser.Antiforgery;

        var signOut = await browser.SendAsync(HttpMethod.Post, "/api/auth/sign-out");
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.Empty(await signOut.Content.ReadAsByteArrayAsync());
        var cleared = AccountKit.SetCookie(signOut, AuthSetup.CookieName);
        Assert.NotNull(cleared);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Null(browser.SessionCookie);

        var me = await browser.MeAsync();
        Assert.False(me["signed_in"]!.GetValue<bool>());
        Assert.Null(me["name"]);
        var read = await browser.Http.GetAsync("/api/layers");
        await AccountKit.AssertProblemAsync(read, HttpStatusCode.Unauthorized, "not_signed_in");
        var station = TinyCity.Station.Replace("\"s1\"", "\"s2\"");
        var write = new HttpRequestMessage(HttpMethod.Post, "/api/layers/stations/features") { Content = AccountKit.GeoJson(station) };
        write.Headers.Add(AuthSetup.AntiforgeryHeader, token);
        await AccountKit.AssertProblemAsync(await browser.Http.SendAsync(write), HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.Null(await _host.Store.GetAsync(Layer.Stations, "s2"));

        // Signing out without a session is harmless.
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(HttpMethod.Post, "/api/auth/sign-out")).StatusCode);
    }

    [Fact]
    public async Task A_session_ends_when_the_admin_changes_or_removes_its_account()
    {
        await AccountKit.AddAsync(_host.Store, "li.planner", Roles.Planner, "520304001");
        await AccountKit.AddAsync(_host.Store, "wang.planner", Roles.Planner, "520304001");
        var li = Browser();
        await li.SignInOkAsync("li.planner", AccountKit.Password);
        var wang = Browser();
        await wang.SignInOkAsync("wang.planner", AccountKit.Password);
        Assert.Equal(HttpStatusCode.OK, (await li.Http.GetAsync("/api/layers")).StatusCode);

        // PUT /api/accounts/{name} needs If-Match with the version read; a stale one is refused and changes nothing.
        var version = (await _host.Store.GetAccountAsync("li.planner"))!.Version;
        var noIfMatch = await _host.Http.PutAsJsonAsync("/api/accounts/li.planner", new { role = Roles.Viewer });
        await AccountKit.AssertProblemAsync(noIfMatch, (HttpStatusCode)428, "missing_version");
        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/accounts/li.planner") { Content = JsonContent.Create(new { role = Roles.Viewer }) };
        stale.Headers.TryAddWithoutValidation("If-Match", $"\"{version + 5}\"");
        await AccountKit.AssertProblemAsync(await _host.Http.SendAsync(stale), HttpStatusCode.PreconditionFailed, "stale_version");
        Assert.Equal(Roles.Planner, (await _host.Store.GetAccountAsync("li.planner"))!.Role);
        Assert.Equal(HttpStatusCode.OK, (await li.Http.GetAsync("/api/layers")).StatusCode);

        var change = new HttpRequestMessage(HttpMethod.Put, "/api/accounts/li.planner") { Content = JsonContent.Create(new { role = Roles.Viewer }) };
        change.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        var changed = await _host.Http.SendAsync(change);
        Assert.True(changed.StatusCode == HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
        var after = (await _host.Store.GetAccountAsync("li.planner"))!;
        Assert.Equal((Roles.Viewer, version + 1), (after.Role, after.Version));

        // li's session was signed as a planner at the old version: gone, not silently a viewer's.
        await AccountKit.AssertProblemAsync(await li.Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.False((await li.MeAsync())["signed_in"]!.GetValue<bool>());
        // Another account's session is untouched.
        Assert.Equal(HttpStatusCode.OK, (await wang.Http.GetAsync("/api/layers")).StatusCode);
        // li signs in again and is a viewer now.
        Assert.Equal(Roles.Viewer, (await li.SignInOkAsync("li.planner", AccountKit.Password))["role"]!.GetValue<string>());

        // A change written straight to the store (as `gridmap user …` does while the server runs) ends it too.
        var wangAccount = (await _host.Store.GetAccountAsync("wang.planner"))!;
        await _host.Store.PutAccountAsync(wangAccount with { Scope = "520304001001" }, wangAccount.Version);
        await AccountKit.AssertProblemAsync(await wang.Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");

        // And removing the account: DELETE /api/accounts/{name}.
        Assert.Equal(HttpStatusCode.OK, (await li.Http.GetAsync("/api/layers")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync("/api/accounts/li.planner")).StatusCode);
        Assert.Null(await _host.Store.GetAccountAsync("li.planner"));
        await AccountKit.AssertProblemAsync(await li.Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");
        await AccountKit.AssertProblemAsync(await li.SignInAsync("li.planner", AccountKit.Password), HttpStatusCode.Unauthorized, "bad_credentials");
    }

    [Fact]
    public async Task Changing_ones_password_checks_the_current_one_and_ends_the_session()
    {
        await AccountKit.AddAsync(_host.Store, "li.planner", Roles.Planner, "520304001");
        var browser = Browser();
        await browser.SignInOkAsync("li.planner", AccountKit.Password);
        var session = browser.SessionCookie!;
        var hashBefore = (await _host.Store.GetAccountAsync("li.planner"))!.PasswordHash;
        const string next = "a much better password";

        await AccountKit.AssertProblemAsync(await browser.PostJsonAsync("/api/auth/password", new { current = "not my password", @new = next }),
            HttpStatusCode.Forbidden, "bad_credentials");
        var weak = await AccountKit.AssertProblemAsync(await browser.PostJsonAsync("/api/auth/password", new { current = AccountKit.Password, @new = "short9chr" }),
            HttpStatusCode.BadRequest, "invalid_value");
        Assert.Equal("/new", weak["errors"]![0]!["pointer"]!.GetValue<string>());
        await AccountKit.AssertProblemAsync(await browser.PostJsonAsync("/api/auth/password", new { current = AccountKit.Password, @new = next }, antiforgery: false),
            HttpStatusCode.Forbidden, "antiforgery");
        Assert.Equal(hashBefore, (await _host.Store.GetAccountAsync("li.planner"))!.PasswordHash);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/layers")).StatusCode);

        var changed = await browser.PostJsonAsync("/api/auth/password", new { current = AccountKit.Password, @new = next });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        var stored = (await _host.Store.GetAccountAsync("li.planner"))!;
        Assert.True(Credentials.VerifyPassword(stored, next));
        Assert.False(Credentials.VerifyPassword(stored, AccountKit.Password));
        Assert.False(stored.PasswordGenerated);

        // The browser's session is over, and so is any copy of its cookie (the account's version moved).
        Assert.False((await browser.MeAsync())["signed_in"]!.GetValue<bool>());
        await AccountKit.AssertProblemAsync(await Replay(session).Http.GetAsync("/api/layers"), HttpStatusCode.Unauthorized, "not_signed_in");

        await AccountKit.AssertProblemAsync(await Browser().SignInAsync("li.planner", AccountKit.Password), HttpStatusCode.Unauthorized, "bad_credentials");
        Assert.Equal("li.planner", (await Browser().SignInOkAsync("li.planner", next))["name"]!.GetValue<string>());

        // Without a session there is no password to change.
        await AccountKit.AssertProblemAsync(await Browser().PostJsonAsync("/api/auth/password", new { current = next, @new = "yet another password" }),
            HttpStatusCode.Unauthorized, "not_signed_in");
    }

    [Fact]
    public async Task A_workers_antiforgery_token_holds_when_a_planner_gives_them_a_grid_mid_session()
    {
        await TinyCity.LoadAsync(_host.Http);
        await AccountKit.AddAsync(_host.Store, "chen.worker", Roles.Worker, canEditHouseholds: true);
        var worker = Browser();
        await worker.SignInOkAsync("chen.worker", AccountKit.Password);
        await worker.MeAsync();

        // The admin names the account on the grid's worker: the grid is chen's from the next request on.
        var grid = JsonNode.Parse(await _host.Http.GetStringAsync("/api/layers/grids/features/520304001001001"))!.AsObject();
        var gridVersion = grid["version"]!.GetValue<long>();
        grid.Remove("version");
        grid["properties"]!["workers"]![0]!["account"] = "chen.worker";
        var assign = new HttpRequestMessage(HttpMethod.Put, "/api/layers/grids/features/520304001001001") { Content = AccountKit.GeoJson(grid.ToJsonString()) };
        assign.Headers.TryAddWithoutValidation("If-Match", $"\"{gridVersion}\"");
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.SendAsync(assign)).StatusCode);
        Assert.Equal(["520304001001001"], (await worker.MeAsync())["grids"]!.AsArray().Select(n => n!.GetValue<string>()));

        // The token the page read when it loaded still works for the household correction …
        Assert.Equal(HttpStatusCode.OK, (await CorrectHouseholdsAsync(worker, 250)).StatusCode);
        Assert.Equal(250, (await _host.Store.GetAsync(Layer.Buildings, "b1"))!.Properties["households"]!.GetValue<int>());

        // … and so does the one a fresh sign-in answers with (computed before the grid claims are added).
        var again = Browser();
        await again.SignInOkAsync("chen.worker", AccountKit.Password);
        Assert.Equal(HttpStatusCode.OK, (await CorrectHouseholdsAsync(again, 260)).StatusCode);
        Assert.Equal(260, (await _host.Store.GetAsync(Layer.Buildings, "b1"))!.Properties["households"]!.GetValue<int>());
    }

    async Task<HttpResponseMessage> CorrectHouseholdsAsync(CookieBrowser browser, int households)
    {
        var building = JsonNode.Parse(await browser.Http.GetStringAsync("/api/layers/buildings/features/b1"))!.AsObject();
        var version = building["version"]!.GetValue<long>();
        building.Remove("version");
        building["properties"]!["households"] = households;
        var response = await browser.SendAsync(HttpMethod.Put, "/api/layers/buildings/features/b1", AccountKit.GeoJson(building.ToJsonString()), ifMatch: $"\"{version}\"");
        if (response.StatusCode != HttpStatusCode.OK) Assert.Fail($"household correction: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }
}

public sealed class SqliteCookieSessionTests() : CookieSessionTests("sqlite");

public sealed class PostGisCookieSessionTests() : CookieSessionTests("postgis");
