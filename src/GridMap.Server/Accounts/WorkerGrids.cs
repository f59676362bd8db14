using System.Security.Claims;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using Microsoft.AspNetCore.Authentication;

namespace GridMap.Server.Accounts;

/// <summary>
/// A grid worker's grids are the ones their account names (<c>--grids</c>) and the ones whose <c>workers[]</c> name the
/// account (<c>workers[].account</c>), so a planner who puts a worker on a grid gives them that grid at once. Runs as
/// ASP.NET Core's claims transformation on every authenticated request; the index of grids by account is rebuilt only
/// when the grids layer version moves.
/// </summary>
public sealed class WorkerGrids(IFeatureStore store) : IClaimsTransformation
{
    readonly SemaphoreSlim _gate = new(1, 1);
    (long Version, IReadOnlyDictionary<string, IReadOnlyList<string>> ByAccount)? _index;

    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (!principal.IsInRole(Roles.Worker) || principal.Identity?.Name is not { } name) return principal;
        var index = await IndexAsync();
        if (!index.TryGetValue(name, out var grids)) return principal;
        var have = principal.FindAll(Caller.GridClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var extra = grids.Where(g => !have.Contains(g)).ToList();
        if (extra.Count == 0) return principal;
        var clone = principal.Clone();
        ((ClaimsIdentity)clone.Identity!).AddClaims(extra.Select(g => new Claim(Caller.GridClaim, g)));
        return clone;
    }

    async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> IndexAsync()
    {
        var version = (await store.LayerVersionsAsync()).GetValueOrDefault(Layer.Grids);
        if (_index is { } cached && cached.Version == version) return cached.ByAccount;
        await _gate.WaitAsync();
        try
        {
            version = (await store.LayerVersionsAsync()).GetValueOrDefault(Layer.Grids);
            if (_index is { } again && again.Version == version) return again.ByAccount;
            var byAccount = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            for (var offset = 0; ; offset += 5000)
            {
                var page = await store.ListAsync(Layer.Grids, new FeatureQuery(null, 5000, offset));
                foreach (var g in page.Features)
                {
                    if (g.Text("status") == "retired" || g.Properties["workers"] is not JsonArray workers) continue;
                    foreach (var w in workers.OfType<JsonObject>())
                        if (w["account"] is JsonValue v && v.TryGetValue<string>(out var account) && account.Length > 0)
                            (byAccount.TryGetValue(account, out var list) ? list : byAccount[account] = []).Add(g.Id);
                }
                if (page.Features.Count < 5000) break;
            }
            var built = byAccount.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
            _index = (version, built);
            return built;
        }
        finally
        {
            _gate.Release();
        }
    }
}
