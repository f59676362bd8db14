using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;

namespace GridMap.Server.Cli;

/// <summary>
/// `gridmap user …` and `gridmap token …`: accounts and bearer tokens, written straight to the store (a running server
/// sees them on its next request: sessions and tokens are checked against the store every time).
/// </summary>
public static class AccountCommands
{
    static readonly string[] StoreOptions = ["data", "postgres"];

    public static async Task<int> UserAsync(CliArgs a, TextWriter stdout, TextReader stdin)
    {
        var verb = a.Positional.FirstOrDefault() ?? throw new CliException("usage: gridmap user add|list|password …");
        await using var store = await OpenAsync(a);
        switch (verb)
        {
            case "add":
            {
                a.Allow([.. StoreOptions, "role", "scope", "grids", "can-edit-households", "password-stdin"]);
                var name = Name(a, "gridmap user add NAME --role ROLE");
                // The API's rule too: a name with spaces or '/' could not be addressed as /api/accounts/{name}.
                if (AccountRules.NameProblem(name) is { } n) throw new CliException(n);
                var role = a.Require("role", $"one of {string.Join(", ", Roles.All)}");
                if (!Roles.All.Contains(role)) throw new CliException($"--role must be one of {string.Join(", ", Roles.All)}");
                if (AccountRules.ScopeProblem(a.Get("scope")) is { } s) throw new CliException($"--scope: {s}");
                var grids = (a.Get("grids") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (role == Roles.Worker && grids.Length == 0) throw new CliException("a worker names their grids: --grids CODE,…");
                var (password, generated) = await PasswordAsync(a, stdin);
                var account = AccountRules.New(name, role, a.Get("scope"), grids, a.Has("can-edit-households"));
                account = account with { PasswordHash = Credentials.HashPassword(account, password), PasswordGenerated = generated };
                try
                {
                    await store.PutAccountAsync(account, 0, CancellationToken.None);
                }
                catch (AccountConflictException)
                {
                    throw new CliException($"an account named {name} exists");
                }
                stdout.WriteLine($"added {name} ({role}{(account.Scope is null ? "" : $", scope {account.Scope}")}{(grids.Length > 0 ? $", grids {string.Join(",", grids)}" : "")})");
                if (generated) stdout.WriteLine($"one-time password for {name}: {password}");
                return 0;
            }
            case "password":
            {
                a.Allow([.. StoreOptions, "password-stdin"]);
                var name = Name(a, "gridmap user password NAME [--password-stdin]");
                var account = await store.GetAccountAsync(name) ?? throw new CliException($"no account named {name}");
                var (password, generated) = await PasswordAsync(a, stdin);
                await store.PutAccountAsync(account with { PasswordHash = Credentials.HashPassword(account, password), PasswordGenerated = generated }, account.Version);
                stdout.WriteLine($"password of {name} changed; its sessions end");
                if (generated) stdout.WriteLine($"one-time password for {name}: {password}");
                return 0;
            }
            case "list":
            {
                a.Allow(StoreOptions);
                foreach (var u in await store.ListAccountsAsync())
                    stdout.WriteLine($"{u.Name}\t{u.Role}\t{u.Scope ?? "*"}\t{(u.Grids.Count > 0 ? string.Join(",", u.Grids) : "-")}" +
                        $"{(u.CanEditHouseholds ? "\tcan-edit-households" : "")}{(u.PasswordGenerated ? "\tone-time password" : "")}");
                return 0;
            }
            case "remove":
            {
                a.Allow(StoreOptions);
                var name = Name(a, "gridmap user remove NAME");
                if (!await store.DeleteAccountAsync(name)) throw new CliException($"no account named {name}");
                stdout.WriteLine($"removed {name} and revoked its tokens");
                return 0;
            }
            default:
                throw new CliException($"gridmap user: unknown '{verb}' (add, list, password, remove)");
        }
    }

    public static async Task<int> TokenAsync(CliArgs a, TextWriter stdout)
    {
        var verb = a.Positional.FirstOrDefault() ?? throw new CliException("usage: gridmap token create NAME | revoke ID | list");
        a.Allow(StoreOptions);
        await using var store = await OpenAsync(a);
        switch (verb)
        {
            case "create":
            {
                var name = Name(a, "gridmap token create NAME");
                if (await store.GetAccountAsync(name) is null) throw new CliException($"no account named {name}");
                var (secret, token) = Credentials.NewToken(name);
                await store.AddTokenAsync(token);
                stdout.WriteLine($"token {token.Id} for {name} (shown once; send it as Authorization: Bearer …):");
                // Alone on the last line, so scripts can take it with `tail -n 1`.
                stdout.WriteLine(secret);
                return 0;
            }
            case "revoke":
            {
                var id = Name(a, "gridmap token revoke ID");
                if (!await store.RevokeTokenAsync(id)) throw new CliException($"no live token {id}");
                stdout.WriteLine($"revoked {id}");
                return 0;
            }
            case "list":
                foreach (var t in await store.ListTokensAsync())
                    stdout.WriteLine($"{t.Id}\t{t.Account}\t{t.CreatedAt:yyyy-MM-dd HH:mm}\t{(t.RevokedAt is { } r ? $"revoked {r:yyyy-MM-dd HH:mm}" : "live")}");
                return 0;
            default:
                throw new CliException($"gridmap token: unknown '{verb}' (create, revoke, list)");
        }
    }

    static string Name(CliArgs a, string usage) => a.Positional.Count >= 2 ? a.Positional[1] : throw new CliException($"usage: {usage}");

    static async Task<(string Password, bool Generated)> PasswordAsync(CliArgs a, TextReader stdin)
    {
        if (!a.Has("password-stdin")) return (Credentials.GeneratePassword(), true);
        var password = (await stdin.ReadLineAsync())?.TrimEnd('\r', '\n') ?? "";
        if (AccountRules.PasswordProblem(password) is { } p) throw new CliException($"--password-stdin: {p}");
        return (password, false);
    }

    static Task<IFeatureStore> OpenAsync(CliArgs a) => StoreFactory.OpenAsync(new GridMapOptions
    {
        DataDirectory = a.Get("data") ?? "data",
        Postgres = a.Get("postgres") ?? (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES")) ? null : Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES")),
        SeedSample = false,
    }, TextWriter.Null);
}
