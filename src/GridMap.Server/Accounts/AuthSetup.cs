using GridMap.Core.Store;
using GridMap.Server.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace GridMap.Server.Accounts;

/// <summary>
/// ASP.NET Core's own authentication and authorization, wired for GridMap: a cookie session for the web map (with
/// anti-forgery tokens on writes) and bearer tokens for scripts; anonymous callers read only with <c>--open</c>; every
/// refusal is problem+json.
/// </summary>
public static class AuthSetup
{
    public const string Scheme = "gridmap";
    public const string CookieName = "gridmap_session";
    public const string AntiforgeryHeader = "X-XSRF-TOKEN";

    public static IServiceCollection AddGridMapAuth(this IServiceCollection services, GridMapOptions options)
    {
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "cookie or bearer", o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? BearerTokenHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            })
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorization(o =>
        {
            // Endpoints that say nothing: signed in, or (with --open) an anonymous read.
            o.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new ReadOrSignedIn(options.Open)).Build();
        });
        services.AddSingleton<IAuthorizationHandler, ReadOrSignedInHandler>();
        services.AddSingleton<IClaimsTransformation, WorkerGrids>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemResultHandler>();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryHeader;
            o.Cookie.Name = "gridmap_xsrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        return services;
    }

    public static WebApplication UseGridMapAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.Use(ValidateAntiforgeryAsync);
        app.UseAuthorization();
        return app;
    }

    /// <summary>A session signed in before its account changed (role, scope, password) or went is dropped.</summary>
    static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var version = context.Principal?.FindFirst(Caller.VersionClaim)?.Value;
        var store = context.HttpContext.RequestServices.GetRequiredService<IFeatureStore>();
        var account = name is null ? null : await store.GetAccountAsync(name, context.HttpContext.RequestAborted);
        if (account is null || account.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) != version)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>
    /// A cookie session's writes carry the anti-forgery header (the web map sends it), so no other site can write with the
    /// planner's cookie. Bearer requests carry no ambient credential and need none; signing in sets no state to forge.
    /// </summary>
    static async Task ValidateAntiforgeryAsync(HttpContext http, Func<Task> next)
    {
        var method = http.Request.Method;
        var safe = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
        var cookieSession = http.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme;
        if (!safe && cookieSession && !http.Request.Path.StartsWithSegments("/api/auth/sign-in"))
        {
            var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                await Access.Forbidden("antiforgery", AntiforgeryHeader,
                    $"a signed-in browser's write needs the {AntiforgeryHeader} header from GET /api/auth/me").ExecuteAsync(http);
                return;
            }
        }
        await next();
    }

    sealed record ReadOrSignedIn(bool Open) : IAuthorizationRequirement;

    sealed class ReadOrSignedInHandler : AuthorizationHandler<ReadOrSignedIn>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadOrSignedIn requirement)
        {
            var http = context.Resource as HttpContext;
            var read = http is not null && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
            if (context.User.Identity?.IsAuthenticated == true || (requirement.Open && read)) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>401 and 403 from the authorization middleware as problem+json, not redirects to a login page.</summary>
    sealed class ProblemResultHandler : IAuthorizationMiddlewareResultHandler
    {
        readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext http, AuthorizationPolicy policy, PolicyAuthorizationResult result)
        {
            if (result.Challenged)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                await Access.NotSignedIn().ExecuteAsync(http);
            }
            else if (result.Forbidden)
            {
                var caller = Caller.Of(http);
                await Access.Forbidden("role", "/", $"{caller.Name} ({caller.Role}) may not do this").ExecuteAsync(http);
            }
            else await _default.HandleAsync(next, http, policy, result);
        }
    }
}
