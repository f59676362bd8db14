using System.Security.Cryptography;
using System.Text;
using GridMap.Core.Store;
using Microsoft.AspNetCore.Identity;

namespace GridMap.Server.Accounts;

/// <summary>
/// Passwords hashed by ASP.NET Core Identity's hasher (PBKDF2, salted, versioned format) and bearer tokens kept only as
/// their SHA-256: a token has 256 random bits, so a fast hash is enough, and a leaked table gives nothing to replay.
/// </summary>
public static class Credentials
{
    static readonly PasswordHasher<Account> Hasher = new();

    /// <summary>Passwords shorter than this are refused.</summary>
    public const int MinPasswordLength = 10;

    public static string HashPassword(Account account, string password) => Hasher.HashPassword(account, password);

    public static bool VerifyPassword(Account account, string password) =>
        account.PasswordHash is { } hash && Hasher.VerifyHashedPassword(account, hash, password) != PasswordVerificationResult.Failed;

    /// <summary>A one-time password for a new store's admin: 16 characters without look-alikes (0/O, 1/l/I).</summary>
    public static string GeneratePassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 16);
    }

    /// <summary>A new token (shown once) and what the store keeps of it.</summary>
    public static (string Secret, ApiToken Stored) NewToken(string account)
    {
        var secret = "gm_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        return (secret, new ApiToken(id, account, HashToken(secret), DateTimeOffset.UtcNow));
    }

    public static string HashToken(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
