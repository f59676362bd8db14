using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Store;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// A browser as the server sees one: a cookie jar, sign-in by name and password, and the anti-forgery token of
/// GET /api/auth/me sent (or, to test the refusal, not sent) in X-XSRF-TOKEN on writes.
/// </summary>
public sealed class CookieBrowser : IDisposable
{
    public CookieContainer Jar { get; } = new();
    public HttpClient Http { get; }
    public string? Antiforgery { get; private set; }
    readonly Uri _address;

    public CookieBrowser(Uri address)
    {
        _address = address;
        Http = new HttpClient(new HttpClientHandler { CookieContainer = Jar, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public Task<HttpResponseMessage> SignInAsync(string name, string password) =>
        Http.PostAsJsonAsync("/api/auth/sign-in", new { name, password });

    /// <summary>Signs in (asserting 200) and keeps the anti-forgery token the answer carries.</summary>
    public async Task<JsonNode> SignInOkAsync(string name, string password)
    {
        var response = await SignInAsync(name, password);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in of {name}: {(int)response.StatusCode} {body}");
        var me = JsonNode.Parse(body)!;
        Antiforgery = me["antiforgery"]?.GetValue<string>();
        return me;
    }

    /// <summary>GET /api/auth/me, keeping its anti-forgery token.</summary>
    public async Task<JsonNode> MeAsync()
    {
        var response = await Http.GetAsync("/api/auth/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (me["antiforgery"]?.GetValue<string>() is { } token) Antiforgery = token;
        return me;
    }

    /// <summary>A request carrying the anti-forgery header when <paramref name="antiforgery"/> (and a token is known).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, bool antiforgery = true, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (antiforgery && Antiforgery is not null) request.Headers.Add("X-XSRF-TOKEN", Antiforgery);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body, bool antiforgery = true) =>
        SendAsync(HttpMethod.Post, path, JsonContent.Create(body), antiforgery);

    /// <summary>The session cookie's value as the jar holds it (null when there is none).</summary>
    public string? SessionCookie => Jar.GetCookies(_address)[GridMap.Server.Accounts.AuthSetup.CookieName]?.Value;

    public void Dispose() => Http.Dispose();
}

public static class AccountKit
{
    /// <summary>A password long enough for the server (10 characters at least).</summary>
    public const string Password = "correct horse battery";

    /// <summary>Adds an account with a password of its own through the store, as `gridmap user add --password-stdin` does.</summary>
    public static async Task<Account> AddAsync(IAccountStore store, string name, string role, string? scope = null, string password = Password,
        IReadOnlyList<string>? grids = null, bool canEditHouseholds = false)
    {
        var account = GridMap.Server.Accounts.AccountRules.New(name, role, scope, grids ?? [], canEditHouseholds);
        account = account with { PasswordHash = GridMap.Server.Accounts.Credentials.HashPassword(account, password) };
        return await store.PutAccountAsync(account, 0);
    }

    /// <summary>Asserts a problem+json answer with this status and code, and returns it.</summary>
    public static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(code, problem["code"]?.GetValue<string>());
        return problem;
    }

    public static StringContent GeoJson(string json) => new(json, Encoding.UTF8, "application/geo+json");

    /// <summary>The Set-Cookie header that sets <paramref name="name"/>, or null.</summary>
    public static string? SetCookie(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal)) : null;
}
