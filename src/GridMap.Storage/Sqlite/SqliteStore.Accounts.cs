using System.Globalization;
using System.Text.Json;
using GridMap.Core.Store;
using Microsoft.Data.Sqlite;

namespace GridMap.Storage.Sqlite;

/// <summary>Accounts and bearer tokens of the embedded store.</summary>
public sealed partial class SqliteStore
{
    const string AccountColumns = "name, role, scope, grids, can_edit_households, password_hash, password_generated, created, version";

    public async Task<Account?> GetAccountAsync(string name, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {AccountColumns} FROM accounts WHERE name = $name";
        cmd.Parameters.AddWithValue("$name", name);
        return (await ReadAccounts(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {AccountColumns} FROM accounts ORDER BY name";
        return await ReadAccounts(cmd, ct);
    }

    public async Task<Account> PutAccountAsync(Account account, long expectedVersion, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT version FROM accounts WHERE name = $name";
            q.Parameters.AddWithValue("$name", account.Name);
            var current = await q.ExecuteScalarAsync(ct) is long v ? v : 0;
            if (current != expectedVersion) throw new AccountConflictException(account.Name, expectedVersion, current);
        }
        var written = account with { Version = expectedVersion + 1 };
        await using (var w = c.CreateCommand())
        {
            w.Transaction = tx;
            w.CommandText = $"INSERT OR REPLACE INTO accounts ({AccountColumns}) VALUES ($name, $role, $scope, $grids, $edit, $hash, $generated, $created, $version)";
            w.Parameters.AddWithValue("$name", written.Name);
            w.Parameters.AddWithValue("$role", written.Role);
            w.Parameters.AddWithValue("$scope", (object?)written.Scope ?? DBNull.Value);
            w.Parameters.AddWithValue("$grids", JsonSerializer.Serialize(written.Grids));
            w.Parameters.AddWithValue("$edit", written.CanEditHouseholds ? 1 : 0);
            w.Parameters.AddWithValue("$hash", (object?)written.PasswordHash ?? DBNull.Value);
            w.Parameters.AddWithValue("$generated", written.PasswordGenerated ? 1 : 0);
            w.Parameters.AddWithValue("$created", written.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            w.Parameters.AddWithValue("$version", written.Version);
            await w.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return written;
    }

    public async Task<bool> DeleteAccountAsync(string name, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
        await using (var revoke = c.CreateCommand())
        {
            revoke.Transaction = tx;
            revoke.CommandText = "UPDATE tokens SET revoked = $now WHERE account = $name AND revoked IS NULL";
            revoke.Parameters.AddWithValue("$name", name);
            revoke.Parameters.AddWithValue("$now", Now());
            await revoke.ExecuteNonQueryAsync(ct);
        }
        await using var delete = c.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM accounts WHERE name = $name";
        delete.Parameters.AddWithValue("$name", name);
        var deleted = await delete.ExecuteNonQueryAsync(ct) > 0;
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task AddTokenAsync(ApiToken token, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO tokens (id, account, hash, created, revoked) VALUES ($id, $account, $hash, $created, NULL)";
        cmd.Parameters.AddWithValue("$id", token.Id);
        cmd.Parameters.AddWithValue("$account", token.Account);
        cmd.Parameters.AddWithValue("$hash", token.Hash);
        cmd.Parameters.AddWithValue("$created", token.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<ApiToken?> FindTokenAsync(string hash, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, account, hash, created, revoked FROM tokens WHERE hash = $hash";
        cmd.Parameters.AddWithValue("$hash", hash);
        return (await ReadTokens(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, account, hash, created, revoked FROM tokens ORDER BY created, id";
        return await ReadTokens(cmd, ct);
    }

    public async Task<bool> RevokeTokenAsync(string id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE tokens SET revoked = $now WHERE id = $id AND revoked IS NULL";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$now", Now());
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    static async Task<IReadOnlyList<Account>> ReadAccounts(SqliteCommand cmd, CancellationToken ct)
    {
        var accounts = new List<Account>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            accounts.Add(new Account(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                JsonSerializer.Deserialize<string[]>(r.GetString(3)) ?? [], r.GetInt64(4) != 0,
                r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6) != 0,
                DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture), r.GetInt64(8)));
        return accounts;
    }

    static async Task<IReadOnlyList<ApiToken>> ReadTokens(SqliteCommand cmd, CancellationToken ct)
    {
        var tokens = new List<ApiToken>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            tokens.Add(new ApiToken(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
                r.IsDBNull(4) ? null : DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture)));
        return tokens;
    }
}
