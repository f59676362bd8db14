using System.Globalization;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using Microsoft.Data.Sqlite;

namespace GridMap.Storage.Sqlite;

/// <summary>Jobs of the embedded store: one table, claimed with an immediate transaction.</summary>
public sealed partial class SqliteStore
{
    const string JobColumns = "id, kind, scope, status, progress, cancel_requested, parameters, result, error, created, updated";

    static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    public async Task<Job> CreateJobAsync(string kind, string scope, JsonObject parameters, CancellationToken ct = default)
    {
        var id = Guid.NewGuid().ToString("N")[..16];
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO jobs (id, kind, scope, status, progress, parameters, created, updated) VALUES ($id, $kind, $scope, 'queued', 0, $p, $now, $now)";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$kind", kind);
        cmd.Parameters.AddWithValue("$scope", scope);
        cmd.Parameters.AddWithValue("$p", parameters.ToJsonString());
        cmd.Parameters.AddWithValue("$now", Now());
        await cmd.ExecuteNonQueryAsync(ct);
        return (await GetJobAsync(id, ct))!;
    }

    public async Task<Job?> GetJobAsync(string id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {JobColumns} FROM jobs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (await ReadJobs(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<Job>> ListJobsAsync(int limit, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {JobColumns} FROM jobs ORDER BY created DESC, id LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        return await ReadJobs(cmd, ct);
    }

    public async Task<Job?> ClaimNextJobAsync(CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var tx = c.BeginTransaction(deferred: false);
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            UPDATE jobs SET status = 'running', updated = $now
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND cancel_requested = 0 ORDER BY created, id LIMIT 1)
            RETURNING {JobColumns}
            """;
        cmd.Parameters.AddWithValue("$now", Now());
        var job = (await ReadJobs(cmd, ct)).FirstOrDefault();
        await tx.CommitAsync(ct);
        return job;
    }

    public async Task UpdateJobAsync(string id, string status, double progress, JsonObject? result = null, string? error = null, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            UPDATE jobs SET status = $status, progress = $progress, result = coalesce($result, result), error = coalesce($error, error), updated = $now
            WHERE id = $id
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$status", status);
        cmd.Parameters.AddWithValue("$progress", progress);
        cmd.Parameters.AddWithValue("$result", (object?)result?.ToJsonString() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$now", Now());
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> RequestCancelAsync(string id, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(ct);
        await using var cmd = c.CreateCommand();
        // A queued job is cancelled at once; a running one is asked to stop and its runner confirms.
        cmd.CommandText = """
            UPDATE jobs SET cancel_requested = 1,
                status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, updated = $now
            WHERE id = $id AND status IN ('queued', 'running')
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$now", Now());
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    static async Task<IReadOnlyList<Job>> ReadJobs(SqliteCommand cmd, CancellationToken ct)
    {
        var jobs = new List<Job>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            jobs.Add(new Job(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), r.GetInt64(5) != 0,
                JsonNode.Parse(r.GetString(6))!.AsObject(),
                r.IsDBNull(7) ? null : JsonNode.Parse(r.GetString(7))!.AsObject(),
                r.IsDBNull(8) ? null : r.GetString(8),
                DateTimeOffset.Parse(r.GetString(9), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(r.GetString(10), CultureInfo.InvariantCulture)));
        }
        return jobs;
    }
}
