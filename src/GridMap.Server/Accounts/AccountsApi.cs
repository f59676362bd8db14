using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Accounts;

/// <summary>
/// Sign-in for the web map (<c>/api/auth</c>), and the admin's accounts and bearer tokens (<c>/api/accounts</c>,
/// <c>/api/tokens</c>). Accounts are personal data: only the admin lists them.
/// </summary>
public static class AccountsApi
{
    /// <summary>What the web map knows of its caller; <c>antiforgery</c> goes back in X-XSRF-TOKEN on writes.</summary>
    /// <param name="Writes">The layers this role writes (within its scope): the map offers edits, restores and reverts by it.</param>
    public sealed record Me(bool SignedIn, string? Name, string? Role, string? Scope, string? ScopeName, IReadOnlyList<string> Grids, bool CanEditHouseholds,
        bool PasswordGenerated, bool Open, string? Antiforgery)
    {
        public IReadOnlyList<string> Writes => Role is null ? [] : Core.Model.Layers.All.Where(l => Access.WritersOf(l).Contains(Role)).Select(Core.Model.Layers.Key).ToList();
    }

    public sealed record SignIn(string? Name, string? Password);

    public sealed record PasswordChange(string? Current, string? New);

    public sealed record AccountView(string Name, string Role, string? Scope, IReadOnlyList<string> Grids, bool CanEditHouseholds,
        bool PasswordGenerated, DateTimeOffset CreatedAt, long Version);

    public sealed record AccountWrite(string? Name, string? Role, string? Scope, IReadOnlyList<string>? Grids, bool? CanEditHouseholds, string? Password);

    public sealed record TokenView(string Id, string Account, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

    public sealed record NewToken(string Id, string Account, string Token);

    public sealed record TokenRequest(string? Account);

    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Accounts").AllowAnonymous();
        group.MapGet("/me", MeAsync).WithSummary("Who is signed in, with the anti-forgery token for writes");
        group.MapPost("/sign-in", SignInAsync).WithSummary("Sign in with name and password: a cookie session").RequireRateLimiting(SignInLimit);
        // Cast to Delegate: a method taking only HttpContext binds to MapPost(string, RequestDelegate), which discards the
        // returned result and answered 200 with an empty body instead of 204 (analyzer ASP0016).
        group.MapPost("/sign-out", (Delegate)SignOutAsync).WithSummary("End the cookie session");
        group.MapPost("/password", ChangePasswordAsync).WithSummary("Change your own password (the current one is needed)");
        return group;
    }

    public const string SignInLimit = "sign-in";

    public static RouteGroupBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Accounts").RequireAuthorization(p => p.RequireRole(Roles.Admin));
        group.MapGet("/accounts", ListAsync).WithSummary("Every account (admin)");
        group.MapPost("/accounts", CreateAsync).WithSummary("Add an account (admin)");
        group.MapPut("/accounts/{name}", ReplaceAsync).WithSummary("Change an account's role, scope, grids or password (admin; If-Match)");
        group.MapDelete("/accounts/{name}", DeleteAsync).WithSummary("Remove an account and revoke its tokens (admin)");
        group.MapGet("/tokens", async (IFeatureStore store, CancellationToken ct) =>
            TypedResults.Ok((await store.ListTokensAsync(ct)).Select(t => new TokenView(t.Id, t.Account, t.CreatedAt, t.RevokedAt)).ToList()))
            .WithSummary("Every bearer token, without its secret (admin)");
        group.MapPost("/tokens", CreateTokenAsync).WithSummary("A new bearer token for an account, shown once (admin)");
        group.MapDelete("/tokens/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, IFeatureStore store, CancellationToken ct) =>
            await store.RevokeTokenAsync(id, ct) ? TypedResults.NoContent() : NotFound("token", id)).WithSummary("Revoke a token (admin)");
        return group;
    }

    static async Task<Ok<Me>> MeAsync(HttpContext http, IFeatureStore store, GridMapOptions options, IAntiforgery antiforgery, CancellationToken ct)
    {
        var caller = Caller.Of(http);
        var account = caller.Name is { } name ? await store.GetAccountAsync(name, ct) : null;
        var token = caller.SignedIn ? antiforgery.GetAndStoreTokens(http).RequestToken : null;
        return TypedResults.Ok(new Me(caller.SignedIn, caller.Name, caller.Role, caller.Scope, await ScopeNameAsync(store, caller.Scope, ct),
            caller.Grids.Order().ToList(), caller.CanEditHouseholds, account?.PasswordGenerated ?? false, options.Open, token));
    }

    /// <summary>
    /// The name of the district, street or community a scope code names (成华区 for 990002), so that the map can say it;
    /// null when no such area is stored. An area's id is its code (FeatureValidator).
    /// </summary>
    static async Task<string?> ScopeNameAsync(IFeatureStore store, string? scope, CancellationToken ct)
    {
        Layer? layer = scope?.Length switch { 6 => Layer.Districts, 9 => Layer.Streets, 12 => Layer.Communities, _ => null };
        return layer is { } l ? (await store.GetAsync(l, scope!, ct))?.Text("name") : null;
    }

    static async Task<Results<Ok<Me>, ProblemHttpResult>> SignInAsync(SignIn body, HttpContext http, IFeatureStore store, GridMapOptions options,
        IAntiforgery antiforgery, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.Name) || string.IsNullOrEmpty(body.Password))
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "missing_field", "Name and password needed",
                [new ProblemError("missing_field", string.IsNullOrEmpty(body.Name) ? "/name" : "/password", "give both name and password")]);
        var account = await store.GetAccountAsync(body.Name, ct);
        // One answer for an unknown name and a wrong password: a refusal says nothing about which accounts exist.
        if (account is null || !Credentials.VerifyPassword(account, body.Password))
            return CodedProblem.Of(StatusCodes.Status401Unauthorized, "bad_credentials", "Wrong name or password",
                [new ProblemError("bad_credentials", "/", "wrong name or password")]);
        var principal = Caller.Principal(account, CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        http.User = principal;
        var caller = Caller.Of(principal);
        return TypedResults.Ok(new Me(true, caller.Name, caller.Role, caller.Scope, await ScopeNameAsync(store, caller.Scope, ct), caller.Grids.Order().ToList(), caller.CanEditHouseholds,
            account.PasswordGenerated, options.Open, antiforgery.GetAndStoreTokens(http).RequestToken));
    }

    static async Task<NoContent> SignOutAsync(HttpContext http)
    {
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    static async Task<Results<NoContent, ProblemHttpResult>> ChangePasswordAsync(PasswordChange body, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        var caller = Caller.Of(http);
        if (!caller.SignedIn) return Access.NotSignedIn();
        var account = await store.GetAccountAsync(caller.Name!, ct);
        if (account is null || string.IsNullOrEmpty(body.Current) || !Credentials.VerifyPassword(account, body.Current))
            return CodedProblem.Of(StatusCodes.Status403Forbidden, "bad_credentials", "Wrong password",
                [new ProblemError("bad_credentials", "/current", "the current password is wrong")]);
        if (PasswordProblem(body.New, "/new") is { } weak) return weak;
        await store.PutAccountAsync(account with { PasswordHash = Credentials.HashPassword(account, body.New!), PasswordGenerated = false }, account.Version, ct);
        // The session was signed with the old account version: sign in again with the new password.
        if (http.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme)
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    static async Task<Ok<List<AccountView>>> ListAsync(IFeatureStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAccountsAsync(ct)).Select(View).ToList());

    static async Task<Results<Created<AccountView>, ProblemHttpResult>> CreateAsync(AccountWrite body, IFeatureStore store, CancellationToken ct)
    {
        if (AccountProblem(body.Name, body.Role, body.Scope) is { } bad) return bad;
        if (PasswordProblem(body.Password, "/password") is { } weak) return weak;
        var account = AccountRules.New(body.Name!, body.Role!, body.Scope, body.Grids ?? [], body.CanEditHouseholds ?? false);
        account = account with { PasswordHash = Credentials.HashPassword(account, body.Password!) };
        try
        {
            var created = await store.PutAccountAsync(account, 0, ct);
            return TypedResults.Created($"/api/accounts/{Uri.EscapeDataString(created.Name)}", View(created));
        }
        catch (AccountConflictException)
        {
            return CodedProblem.Of(StatusCodes.Status409Conflict, "duplicate_id", "Account exists",
                [new ProblemError("duplicate_id", "/name", $"an account named {body.Name} exists")]);
        }
    }

    static async Task<Results<Ok<AccountView>, ProblemHttpResult>> ReplaceAsync(string name, AccountWrite body, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        if (!long.TryParse(http.Request.Headers.IfMatch.ToString().Trim().TrimStart('W', '/').Trim('"'), out var expected))
            return CodedProblem.Of(StatusCodes.Status428PreconditionRequired, "missing_version", "If-Match needed",
                [new ProblemError("missing_version", "If-Match", "send If-Match with the account version you read")]);
        var current = await store.GetAccountAsync(name, ct);
        if (current is null) return NotFound("account", name);
        if (AccountProblem(name, body.Role ?? current.Role, body.Scope ?? current.Scope) is { } bad) return bad;
        if (body.Password is not null && PasswordProblem(body.Password, "/password") is { } weak) return weak;
        var next = current with
        {
            Role = body.Role ?? current.Role,
            Scope = body.Scope is null ? current.Scope : body.Scope.Length == 0 ? null : body.Scope,
            Grids = body.Grids ?? current.Grids,
            CanEditHouseholds = body.CanEditHouseholds ?? current.CanEditHouseholds,
        };
        if (body.Password is not null) next = next with { PasswordHash = Credentials.HashPassword(next, body.Password), PasswordGenerated = false };
        try
        {
            return TypedResults.Ok(View(await store.PutAccountAsync(next, expected, ct)));
        }
        catch (AccountConflictException e)
        {
            return CodedProblem.Of(StatusCodes.Status412PreconditionFailed, "stale_version", "Someone else changed this account",
                [new ProblemError("stale_version", "If-Match", $"account {name} is at version {e.Current}, not {expected}",
                    new Dictionary<string, object?> { ["current"] = e.Current })]);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        if (Caller.Of(http).Name == name)
            return Access.Forbidden("own_account", "/name", "an admin cannot remove the account it is signed in with");
        return await store.DeleteAccountAsync(name, ct) ? TypedResults.NoContent() : NotFound("account", name);
    }

    static async Task<Results<Created<NewToken>, ProblemHttpResult>> CreateTokenAsync(TokenRequest body, IFeatureStore store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.Account) || await store.GetAccountAsync(body.Account, ct) is null)
            return NotFound("account", body.Account ?? "", "/account");
        var (secret, token) = Credentials.NewToken(body.Account);
        await store.AddTokenAsync(token, ct);
        return TypedResults.Created($"/api/tokens/{token.Id}", new NewToken(token.Id, token.Account, secret));
    }

    static ProblemHttpResult? AccountProblem(string? name, string? role, string? scope)
    {
        if (AccountRules.NameProblem(name) is { } n) return Bad("/name", n);
        if (role is null || !Roles.All.Contains(role)) return Bad("/role", $"role must be one of {string.Join(", ", Roles.All)}");
        if (AccountRules.ScopeProblem(scope) is { } s) return Bad("/scope", s);
        return null;
    }

    static ProblemHttpResult? PasswordProblem(string? password, string pointer) =>
        AccountRules.PasswordProblem(password) is { } p ? Bad(pointer, p) : null;

    static ProblemHttpResult Bad(string pointer, string message) =>
        CodedProblem.Of(StatusCodes.Status400BadRequest, "invalid_value", "Invalid account", [new ProblemError("invalid_value", pointer, message)]);

    static ProblemHttpResult NotFound(string what, string id, string pointer = "/") =>
        CodedProblem.Of(StatusCodes.Status404NotFound, "not_found", $"No such {what}", [new ProblemError("not_found", pointer, $"no {what} {id}")]);

    static AccountView View(Account a) => new(a.Name, a.Role, a.Scope, a.Grids, a.CanEditHouseholds, a.PasswordGenerated, a.CreatedAt, a.Version);
}
