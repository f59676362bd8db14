using System.Text.Encodings.Web;
using GridMap.Core.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GridMap.Server.Accounts;

/// <summary>
/// <c>Authorization: Bearer gm_…</c> for scripts and the CLI: the token's hash is looked up in the store on every
/// request, so a revoked token or a changed account takes effect at once.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IFeatureStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > 200) return AuthenticateResult.Fail("malformed bearer token");
        var token = await store.FindTokenAsync(Credentials.HashToken(secret), Context.RequestAborted);
        if (token is null || token.RevokedAt is not null) return AuthenticateResult.Fail("unknown or revoked token");
        var account = await store.GetAccountAsync(token.Account, Context.RequestAborted);
        if (account is null) return AuthenticateResult.Fail("the token's account is gone");
        return AuthenticateResult.Success(new AuthenticationTicket(Caller.Principal(account, SchemeName), SchemeName));
    }
}
