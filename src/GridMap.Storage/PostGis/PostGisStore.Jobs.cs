using System.Text.Json.Nodes;
using GridMap.Core.Store;
using Npgsql;

namespace GridMap.Storage.PostGis;

/// <summary>Jobs in PostGIS: claimed with FOR UPDATE SKIP LOCKED, so replicas never run the same job twice.</summary>
public sealed partial class PostGisStore
{
    const string JobColumns = "id, kind, scope, status, progress, cancel_requested, parameters::text, result::text, error, created, updated";

    public async Task<Job> CreateJobAsync(string kind, string scope, JsonObject parameters, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"""
            INSERT INTO jobs (id, kind, scope, status, progress, parameters) VALUES ($1, $2, $3, 'queued', 0, $4::jsonb)
            RETURNING {JobColumns}
            """);
        cmd.Parameters.Add(new() { Value = Guid.NewGuid().ToString("N")[..16] });
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = scope });
        cmd.Parameters.Add(new() { Value = parameters.ToJsonString() });
        return (await ReadJobs(cmd, ct))[0];
    }

    public async Task<Job?> GetJobAsync(string id, CancellationToken ct = default)
    {
        if (Unstorable(id)) return null;
        await using var cmd = DataSource.CreateCommand($"SELECT {JobColumns} FROM jobs WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        return (await ReadJobs(cmd, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<Job>> ListJobsAsync(int limit, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"SELECT {JobColumns} FROM jobs ORDER BY created DESC, id LIMIT $1");
        cmd.Parameters.Add(new() { Value = limit });
        return await ReadJobs(cmd, ct);
    }

    public async Task<Job?> ClaimNextJobAsync(CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand($"""
            UPDATE jobs SET status = 'running', updated = clock_timestamp()
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND NOT cancel_requested ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {JobColumns}
            """);
        return (await ReadJobs(cmd, ct)).FirstOrDefault();
    }

    public async Task UpdateJobAsync(string id, string status, double progress, JsonObject? result = null, string? error = null, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("""
            UPDATE jobs SET status = $2, progress = $3, result = coalesce($4::jsonb, result), error = coalesce($5, error), updated = clock_timestamp()
            WHERE id = $1
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = status });
        cmd.Parameters.Add(new() { Value = progress });
        cmd.Parameters.Add(new() { Value = (object?)result?.ToJsonString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> RequestCancelAsync(string id, CancellationToken ct = default)
    {
        await using var cmd = DataSource.CreateCommand("""
            UPDATE jobs SET cancel_requested = true,
                status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, updated = clock_timestamp()
            WHERE id = $1 AND status IN ('queued', 'running')
            """);
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    static async Task<IReadOnlyList<Job>> ReadJobs(NpgsqlCommand cmd, CancellationToken ct)
    {
        var jobs = new List<Job>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            jobs.Add(new Job(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), r.GetBoolean(5),
                JsonNode.Parse(r.GetString(6))!.AsObject(),
                r.IsDBNull(7) ? null : JsonNode.Parse(r.GetString(7))!.AsObject(),
                r.IsDBNull(8) ? null : r.GetString(8),
                r.GetFieldValue<DateTimeOffset>(9), r.GetFieldValue<DateTimeOffset>(10)));
        }
        return jobs;
    }
}
