using System.Net;
using System.Text.RegularExpressions;
using GridMap.Core.Store;

namespace GridMap.Server.Accounts;

/// <summary>What a valid account is, the first admin of a new store, and when the server may listen beyond loopback.</summary>
public static partial class AccountRules
{
    public const string FirstAdmin = "admin";

    public static Account New(string name, string role, string? scope, IReadOnlyList<string> grids, bool canEditHouseholds) =>
        new(name, role, string.IsNullOrEmpty(scope) ? null : scope, grids, canEditHouseholds, null, false, DateTimeOffset.UtcNow);

    public static string? NameProblem(string? name) =>
        name is null || !NamePattern().IsMatch(name) ? "a name is 1–64 letters, digits, '.', '_' or '-'" : null;

    /// <summary>A division-code prefix: 2–12 digits (province … community), provisional codes included.</summary>
    public static string? ScopeProblem(string? scope) =>
        string.IsNullOrEmpty(scope) || ScopePattern().IsMatch(scope) ? null : "a scope is a division-code prefix of 2–12 digits, e.g. 520304 or 520304001";

    public static string? PasswordProblem(string? password) =>
        password is null || password.Length < Credentials.MinPasswordLength ? $"a password has at least {Credentials.MinPasswordLength} characters"
        : password.Length > 256 ? "a password has at most 256 characters" : null;

    /// <summary>
    /// A store without accounts gets an admin with a one-time password, returned to be printed once; null when the store
    /// has accounts.
    /// </summary>
    public static async Task<string?> EnsureAdminAsync(IAccountStore store, CancellationToken ct = default)
    {
        if ((await store.ListAccountsAsync(ct)).Count > 0) return null;
        var password = Credentials.GeneratePassword();
        var admin = New(FirstAdmin, Roles.Admin, null, [], false);
        admin = admin with { PasswordHash = Credentials.HashPassword(admin, password), PasswordGenerated = true };
        try
        {
            await store.PutAccountAsync(admin, 0, ct);
        }
        catch (AccountConflictException)
        {
            return null; // another process made it first
        }
        return password;
    }

    /// <summary>
    /// Why the server must not listen on <paramref name="urls"/> yet: a non-loopback address while no admin has set its
    /// own password (the generated one was printed to a terminal and may be in a log). Null when it may.
    /// </summary>
    public static async Task<string?> ExposureProblemAsync(IAccountStore store, IEnumerable<string> urls, CancellationToken ct = default)
    {
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count == 0) return null;
        var admins = (await store.ListAccountsAsync(ct)).Where(a => a.Role == Roles.Admin).ToList();
        if (admins.Any(a => !a.PasswordGenerated)) return null;
        return $"refusing to listen on {string.Join(", ", exposed)}: the only admin still has its generated password. " +
            "Set one first: gridmap user password admin --password-stdin (or sign in on loopback and change it).";
    }

    static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        if (uri.Host == "localhost") return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._\-]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[0-9]{2,12}$")]
    private static partial Regex ScopePattern();
}
