using System.Security.Claims;
using GridMap.Core.Store;

namespace GridMap.Server.Accounts;

/// <summary>
/// Who is asking: the signed-in account's name, role, scope (a division-code prefix; null: everywhere), grids (a
/// worker's own) and whether a worker may correct households. Anonymous callers have no name and no role.
/// </summary>
public sealed record Caller(string? Name, string? Role, string? Scope, IReadOnlySet<string> Grids, bool CanEditHouseholds)
{
    public const string ScopeClaim = "gridmap:scope";
    public const string GridClaim = "gridmap:grid";
    public const string HouseholdsClaim = "gridmap:can_edit_households";
    public const string VersionClaim = "gridmap:account_version";

    public static Caller Anonymous { get; } = new(null, null, null, new HashSet<string>(), false);

    public bool SignedIn => Name is not null;

    public bool Is(params string[] roles) => Role is not null && roles.Contains(Role);

    /// <summary>A division code (or a longer code under it, such as a grid's) inside this caller's scope.</summary>
    public bool Covers(string? code) =>
        Is(Roles.Admin) || Scope is null || (code is not null && code.StartsWith(Scope, StringComparison.Ordinal));

    /// <summary>A whole scope (a partition job's community or street) inside this caller's: not merely overlapping it.</summary>
    public bool CoversScope(string scope) => Covers(scope) && scope.Length >= (Scope?.Length ?? 0);

    /// <summary>Grid workers' names and phones, as the contract's personal-data table says.</summary>
    public bool MaySeePersonalData(string gridCode) => Role switch
    {
        Roles.Admin => true,
        Roles.Planner or Roles.Organisation => Covers(gridCode),
        Roles.Worker => Grids.Contains(gridCode),
        _ => false,
    };

    public static Caller Of(ClaimsPrincipal user)
    {
        if (user.Identity is not { IsAuthenticated: true, Name: { } name }) return Anonymous;
        return new Caller(name, user.FindFirstValue(ClaimTypes.Role), user.FindFirstValue(ScopeClaim),
            user.FindAll(GridClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            user.FindFirstValue(HouseholdsClaim) == "true");
    }

    public static Caller Of(HttpContext http) => Of(http.User);

    /// <summary>The claims an account signs in with (cookie or bearer token).</summary>
    public static ClaimsPrincipal Principal(Account account, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, account.Name),
            // Antiforgery binds its tokens to this claim when present, else to every claim of the identity: without it a
            // worker's token broke when the grid claims (WorkerGrids) changed mid-session, or differed from sign-in's.
            new(ClaimTypes.NameIdentifier, account.Name),
            new(ClaimTypes.Role, account.Role),
            new(HouseholdsClaim, account.CanEditHouseholds ? "true" : "false"),
            new(VersionClaim, account.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (account.Scope is { } scope) claims.Add(new(ScopeClaim, scope));
        claims.AddRange(account.Grids.Select(g => new Claim(GridClaim, g)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
