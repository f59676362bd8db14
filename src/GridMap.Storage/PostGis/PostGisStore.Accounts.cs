using System.Text.Json;
using GridMap.Core.Store;
using Npgsql;

namespace GridMap.Storage.PostGis;

/// <summary>Accounts and bearer tokens in PostGIS.</summary>
public sealed partial class PostGisStore
{
    const string AccountColumns = "name, role, scope, grids::text, can_edit_households, password_hash, password_generated, created, version";

    public async Task<Account?> GetAccountAsync(string name, CancellationToken ct = default)
    {
        if (Unstorable(name)) return null;
        await using var cmd = DataSource.CreateCommand($"SELECT {AccountColumns} FROM accounts WHERE name = $1");
        cmd.Parameters.Add(new() { Value = name });
        return (await ReadAccounts(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"SELECT {AccountColumns} FROM accounts ORDER BY name");
        return await ReadAccounts(cmd, ct);
    }

    public async Task<Account> PutAccountAsync(Account account, long expectedVersion, CancellationToken ct = default)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The row lock (or, for a new name, the primary key) makes the version check and the write one step.
        await using (var q = new NpgsqlCommand("SELECT version FROM accounts WHERE name = $1 FOR UPDATE", conn, tx))
        {
            q.Parameters.Add(new() { Value = account.Name });
            var current = await q.ExecuteScalarAsync(ct) is long v ? v : 0;
            if (current != expectedVersion) throw new AccountConflictException(account.Name, expectedVersion, current);
        }
        var written = account with { Version = expectedVersion + 1 };
        // A create must not become an update: two creates of one name both find no row to lock, and DO UPDATE made the
        // later overwrite the earlier (two servers starting on a new database each printed a first-admin password, one
        // of them wrong). DO NOTHING leaves the earlier row, and no row written is the conflict.
        var onConflict = expectedVersion == 0 ? "NOTHING"
            : "UPDATE SET role = $2, scope = $3, grids = $4::jsonb, can_edit_households = $5, password_hash = $6, password_generated = $7, version = $9";
        await using (var w = new NpgsqlCommand($"""
            INSERT INTO accounts ({AccountColumns.Replace("::text", "")}) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9)
            ON CONFLICT (name) DO {onConflict}
            """, conn, tx))
        {
            w.Parameters.Add(new() { Value = written.Name });
            w.Parameters.Add(new() { Value = written.Role });
            w.Parameters.Add(new() { Value = (object?)written.Scope ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            w.Parameters.Add(new() { Value = JsonSerializer.Serialize(written.Grids) });
            w.Parameters.Add(new() { Value = written.CanEditHouseholds });
            w.Parameters.Add(new() { Value = (object?)written.PasswordHash ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            w.Parameters.Add(new() { Value = written.PasswordGenerated });
            w.Parameters.Add(new() { Value = written.CreatedAt.ToUniversalTime() });
            w.Parameters.Add(new() { Value = written.Version });
            if (await w.ExecuteNonQueryAsync(ct) == 0) throw new AccountConflictException(account.Name, expectedVersion, 1);
        }
        await tx.CommitAsync(ct);
        return written;
    }

    public async Task<bool> DeleteAccountAsync(string name, CancellationToken ct = default)
    {
        if (Unstorable(name)) return false;
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var revoke = new NpgsqlCommand("UPDATE tokens SET revoked = now() WHERE account = $1 AND revoked IS NULL", conn, tx))
        {
            revoke.Parameters.Add(new() { Value = name });
            await revoke.ExecuteNonQueryAsync(ct);
        }
        await using var delete = new NpgsqlCommand("DELETE FROM accounts WHERE name = $1", conn, tx);
        delete.Parameters.Add(new() { Value = name });
        var deleted = await delete.ExecuteNonQueryAsync(ct) > 0;
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task AddTokenAsync(ApiToken token, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("INSERT INTO tokens (id, account, hash, created) VALUES ($1, $2, $3, $4)");
        cmd.Parameters.Add(new() { Value = token.Id });
        cmd.Parameters.Add(new() { Value = token.Account });
        cmd.Parameters.Add(new() { Value = token.Hash });
        cmd.Parameters.Add(new() { Value = token.CreatedAt.ToUniversalTime() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<ApiToken?> FindTokenAsync(string hash, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("SELECT id, account, hash, created, revoked FROM tokens WHERE hash = $1");
        cmd.Parameters.Add(new() { Value = hash });
        return (await ReadTokens(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("SELECT id, account, hash, created, revoked FROM tokens ORDER BY created, id");
        return await ReadTokens(cmd, ct);
    }

    public async Task<bool> RevokeTokenAsync(string id, CancellationToken ct = default)
    {
        if (Unstorable(id)) return false;
        await using var cmd = DataSource.CreateCommand("UPDATE tokens SET revoked = now() WHERE id = $1 AND revoked IS NULL");
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    static async Task<IReadOnlyList<Account>> ReadAccounts(NpgsqlCommand cmd, CancellationToken ct)
    {
        var accounts = new List<Account>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            accounts.Add(new Account(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                JsonSerializer.Deserialize<string[]>(r.GetString(3)) ?? [], r.GetBoolean(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.GetBoolean(6), r.GetFieldValue<DateTimeOffset>(7), r.GetInt64(8)));
        return accounts;
    }

    static async Task<IReadOnlyList<ApiToken>> ReadTokens(NpgsqlCommand cmd, CancellationToken ct)
    {
        var tokens = new List<ApiToken>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            tokens.Add(new ApiToken(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3),
                r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4)));
        return tokens;
    }
}
