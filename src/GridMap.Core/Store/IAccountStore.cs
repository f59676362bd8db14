namespace GridMap.Core.Store;

/// <summary>The roles of issue 10 and the contract's personal-data table.</summary>
public static class Roles
{
    /// <summary>Everything, accounts and layer-wide writes included.</summary>
    public const string Admin = "admin";
    /// <summary>Areas, compounds, buildings, grids, partition jobs and accepts, within a scope.</summary>
    public const string Planner = "planner";
    /// <summary>Stations, coverage, siting and what-if within a scope; reads grids.</summary>
    public const string Organisation = "organisation";
    /// <summary>A grid worker: reads; may correct the households of buildings in their own grids when allowed.</summary>
    public const string Worker = "worker";
    /// <summary>Reads, no personal data.</summary>
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Planner, Organisation, Worker, Viewer];
}

/// <summary>
/// A person or script that signs in. <see cref="Scope"/> is a division-code prefix (district, street or community,
/// provisional codes too; null: everywhere). <see cref="PasswordHash"/> is ASP.NET Core Identity's hash format, never a
/// password; <see cref="PasswordGenerated"/> marks a one-time password the server made (the first admin's).
/// <see cref="Version"/> rises on every change, so sessions signed in before it are dropped.
/// </summary>
public sealed record Account(string Name, string Role, string? Scope, IReadOnlyList<string> Grids, bool CanEditHouseholds,
    string? PasswordHash, bool PasswordGenerated, DateTimeOffset CreatedAt, long Version = 0);

/// <summary>A bearer token for scripts and the CLI. Only its SHA-256 (<see cref="Hash"/>, hex) is kept.</summary>
public sealed record ApiToken(string Id, string Account, string Hash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null);

/// <summary>Accounts and tokens, in the same store as the features they guard (both stores implement it).</summary>
public interface IAccountStore
{
    Task<Account?> GetAccountAsync(string name, CancellationToken ct = default);

    /// <summary>All accounts, by name.</summary>
    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct = default);

    /// <summary>
    /// Creates (<paramref name="expectedVersion"/> 0) or replaces an account at the version read; returns it with its new
    /// version. Throws <see cref="AccountConflictException"/> (an existing name on create, a stale version on replace).
    /// </summary>
    Task<Account> PutAccountAsync(Account account, long expectedVersion, CancellationToken ct = default);

    /// <summary>Deletes an account and revokes its tokens; false when there was none.</summary>
    Task<bool> DeleteAccountAsync(string name, CancellationToken ct = default);

    Task AddTokenAsync(ApiToken token, CancellationToken ct = default);

    /// <summary>The token with this hash, revoked ones included (the caller decides); null when none.</summary>
    Task<ApiToken?> FindTokenAsync(string hash, CancellationToken ct = default);

    Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken ct = default);

    /// <summary>Marks a token revoked; false when there is no such token or it was revoked already.</summary>
    Task<bool> RevokeTokenAsync(string id, CancellationToken ct = default);
}

/// <summary>An account write that read a version no longer current (0: did not exist; the name exists on a create).</summary>
public sealed class AccountConflictException(string name, long expected, long current)
    : Exception(current == 0 ? $"account {name} does not exist" : expected == 0 ? $"account {name} exists already" : $"account {name} is at version {current}, not {expected}")
{
    public string Name { get; } = name;
    public long Expected { get; } = expected;
    public long Current { get; } = current;
}
