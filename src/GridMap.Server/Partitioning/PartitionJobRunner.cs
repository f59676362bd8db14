using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Partitioning;
using GridMap.Core.Store;
using GridMap.IO.Partitioning;

namespace GridMap.Server.Partitioning;

/// <summary>
/// Runs queued partition jobs. Jobs live in the store: any replica may claim one (never two the same), and any replica
/// can report on it. A running job watches its row for a cancel request.
/// </summary>
public sealed class PartitionJobRunner(IFeatureStore store, ILogger<PartitionJobRunner> log) : BackgroundService
{
    public const string Kind = "partition";

    static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(300);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Job? job = null;
            try
            {
                job = await store.ClaimNextJobAsync(stopping);
                if (job is null)
                {
                    await Task.Delay(Idle, stopping);
                    continue;
                }
                await RunAsync(job, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                if (job is not null) await store.UpdateJobAsync(job.Id, JobStatuses.Failed, job.Progress, error: "the server stopped", ct: CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogError(e, "partition job {Job} failed", job?.Id);
                if (job is not null) await store.UpdateJobAsync(job.Id, JobStatuses.Failed, 1, error: e.Message, ct: CancellationToken.None);
                else await Task.Delay(Idle, stopping);
            }
        }
    }

    async Task RunAsync(Job job, CancellationToken stopping)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var progress = 0.0;
        var watcher = WatchAsync(job.Id, cancel, () => progress, stopping);
        string status;
        JsonObject? proposal = null;
        string? error = null;
        try
        {
            var bounds = new Bounds(
                job.Parameters["min"]?.GetValue<int>() ?? 200, job.Parameters["max"]?.GetValue<int>() ?? 300, job.Parameters["target"]?.GetValue<int>() ?? 250);
            var scope = await StorePartitionInput.LoadAsync(store, job.Scope, bounds, cancel.Token, fresh: job.Parameters["fresh"]?.GetValue<bool>() == true);
            var result = await Task.Run(() => GridPartitioner.Partition(scope.Input, cancel.Token, new Progress<double>(p => progress = p)), cancel.Token);
            proposal = PartitionProposal.Build(scope, result);
            cancel.Token.ThrowIfCancellationRequested();
            status = JobStatuses.Done;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            status = JobStatuses.Cancelled;
        }
        catch (ArgumentException e)
        {
            status = JobStatuses.Failed;
            error = e.Message;
        }
        finally
        {
            // The watcher stops before the final status is written: a progress write of its own landing after it
            // would set a finished job back to "running".
            await cancel.CancelAsync();
            try { await watcher; } catch (OperationCanceledException) { }
        }
        await store.UpdateJobAsync(job.Id, status, status == JobStatuses.Done ? 1 : progress, proposal, error: error, ct: CancellationToken.None);
    }

    /// <summary>Reports progress and turns a cancel request in the store into cancellation here.</summary>
    async Task WatchAsync(string id, CancellationTokenSource cancel, Func<double> progress, CancellationToken stopping)
    {
        while (!cancel.IsCancellationRequested)
        {
            await Task.Delay(Idle, cancel.Token);
            var now = await store.GetJobAsync(id, stopping);
            if (now is null || now.CancelRequested)
            {
                await cancel.CancelAsync();
                return;
            }
            await store.UpdateJobAsync(id, JobStatuses.Running, Math.Round(progress(), 3), ct: stopping);
        }
    }
}

/// <summary>A finished partition as it is kept for review: the report and the proposed grids as GeoJSON.</summary>
public static class PartitionProposal
{
    /// <summary>
    /// What accepting would change, for the review: each grid's households before and after (new, kept or retired) and every
    /// building whose grid changes.
    /// </summary>
    static JsonObject Changes(ScopeInput scope, JsonArray proposed)
    {
        var oldGrid = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in scope.ExistingGrids)
            foreach (var id in (g.Properties["unit_ids"] as JsonArray ?? []).Select(n => n?.ToString() ?? ""))
                oldGrid.TryAdd(id.Split('/')[0], g.Id);
        var buildings = scope.Buildings.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var previous = scope.ExistingGrids.ToDictionary(g => g.Id);
        var grids = new JsonArray();
        var moved = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in proposed.OfType<JsonObject>())
        {
            var code = f["id"]!.ToString();
            var props = f["properties"]!.AsObject();
            seen.Add(code);
            grids.Add(new JsonObject
            {
                ["code"] = code,
                ["before"] = previous.TryGetValue(code, out var old) ? old.Integer("households") : null,
                ["after"] = props["households"]?.DeepClone(),
                ["status"] = old is null ? "new" : "kept",
            });
            foreach (var id in (props["unit_ids"] as JsonArray ?? []).Select(n => n?.ToString().Split('/')[0] ?? "").Distinct())
            {
                if (!buildings.Contains(id)) continue; // compound pieces are land, not buildings
                var from = oldGrid.GetValueOrDefault(id);
                if (from != code) moved.Add(new JsonObject { ["building"] = id, ["from"] = from, ["to"] = code });
            }
        }
        foreach (var g in scope.ExistingGrids.Where(g => !seen.Contains(g.Id)))
            grids.Add(new JsonObject { ["code"] = g.Id, ["before"] = g.Integer("households"), ["after"] = null, ["status"] = "retired" });
        return new JsonObject { ["grids"] = grids, ["moved"] = moved };
    }

    public static JsonObject Build(ScopeInput scope, PartitionResult result)
    {
        var names = scope.Communities.ToDictionary(c => c.Text("code") ?? c.Id, c => c.Text("name") ?? "");
        var previous = scope.ExistingGrids.ToDictionary(g => g.Id);
        var features = new JsonArray();
        // A retired grid's code is never given again: a proposed grid that drew one takes the area's next free number.
        var taken = result.Grids.Select(g => g.Code).Concat(scope.RetiredCodes).Concat(previous.Keys).ToList();
        int NextSequence(string area) => GridMap.Core.Codes.GridCode.NextFree(taken.Select(c => GridMap.Core.Codes.GridCode.SequenceOf(area, c)).OfType<int>());
        foreach (var proposed in result.Grids)
        {
            var g = proposed;
            if (scope.RetiredCodes.Contains(g.Code))
            {
                g = g with { Code = GridMap.Core.Codes.GridCode.Format(g.Area, NextSequence(g.Area)) };
                taken.Add(g.Code);
            }
            using var buffer = new MemoryStream();
            PartitionFiles.WriteGrids(buffer, [g]);
            var feature = JsonNode.Parse(buffer.ToArray())!["features"]![0]!.DeepClone().AsObject();
            var props = feature["properties"]!.AsObject();
            props["community_code"] = g.Area;
            var sequence = g.Code.Length > g.Area.Length ? g.Code[g.Area.Length..].TrimStart('-').TrimStart('0') : g.Code;
            props["name"] = previous.TryGetValue(g.Code, out var old) && old.Text("name") is { } n ? n : $"{names.GetValueOrDefault(g.Area, g.Area)}第{sequence}网格";
            props["status"] = "draft";
            if (old?.Properties["workers"] is JsonArray workers) props["workers"] = workers.DeepClone();
            if (g.Reason != OutOfBandReason.None) props["out_of_band"] = g.Reason.Key();
            props["households_before"] = old is null ? null : old.Integer("households");
            features.Add(feature);
        }
        var collection = new JsonObject { ["type"] = "FeatureCollection", ["features"] = features, ["changes"] = Changes(scope, features) };
        return new JsonObject
        {
            ["report"] = JsonSerializer.SerializeToNode(result.Report, PartitionFiles.ReportOptions),
            ["grids"] = collection,
            ["replaces"] = new JsonArray(scope.ExistingGrids.Select(g => (JsonNode)JsonValue.Create(g.Id)!).ToArray()),
            // What the job read: an accept refuses (409 changed_since_read) when any of it changed since.
            ["read"] = new JsonObject
            {
                ["grids"] = new JsonObject(scope.ExistingGrids.Select(g => KeyValuePair.Create(g.Id, (JsonNode?)g.Version))),
                ["buildings"] = new JsonObject(scope.Buildings.Select(b => KeyValuePair.Create(b.Id, (JsonNode?)b.Version))),
                ["special_areas"] = new JsonObject(scope.SpecialAreas.Select(a => KeyValuePair.Create(a.Id, (JsonNode?)a.Version))),
            },
        };
    }
}
