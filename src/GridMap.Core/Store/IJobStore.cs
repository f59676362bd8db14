using System.Text.Json.Nodes;

namespace GridMap.Core.Store;

/// <summary>Life-cycle of a background job.</summary>
public static class JobStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Accepted = "accepted";

    public static bool IsFinal(string status) => status is Done or Failed or Cancelled or Accepted;
}

/// <summary>
/// A long job (partitioning a community, a street or the whole store) and, when done, its result — a proposal
/// a planner reviews before accepting it. Jobs live in the store, so any server replica can report on them.
/// </summary>
public sealed record Job(
    string Id, string Kind, string Scope, string Status, double Progress, bool CancelRequested,
    JsonObject Parameters, JsonObject? Result, string? Error, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>The narrow interface of job storage, implemented by both stores beside <see cref="IFeatureStore"/>.</summary>
public interface IJobStore
{
    Task<Job> CreateJobAsync(string kind, string scope, JsonObject parameters, CancellationToken ct = default);

    Task<Job?> GetJobAsync(string id, CancellationToken ct = default);

    Task<IReadOnlyList<Job>> ListJobsAsync(int limit, CancellationToken ct = default);

    /// <summary>Moves the oldest queued job to running and returns it; null when none waits. Two replicas never claim the same job.</summary>
    Task<Job?> ClaimNextJobAsync(CancellationToken ct = default);

    /// <summary>Records progress (0..1), and on the final transition the status, result or error.</summary>
    Task UpdateJobAsync(string id, string status, double progress, JsonObject? result = null, string? error = null, CancellationToken ct = default);

    /// <summary>Asks a queued or running job to stop; false when it has already ended.</summary>
    Task<bool> RequestCancelAsync(string id, CancellationToken ct = default);
}
