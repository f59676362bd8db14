using System.Text.Json.Nodes;
using GridMap.Core.Codes;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GridMap.Server.Partitioning;

/// <summary>What a partition job of one scope reads from the store: its communities, their buildings, compounds, roads and current grids.</summary>
public sealed record ScopeInput(PartitionInput Input, IReadOnlyList<StoredFeature> Communities, IReadOnlyList<StoredFeature> ExistingGrids)
{
    /// <summary>The buildings the job read, with their versions: an accept checks none changed since.</summary>
    public IReadOnlyList<StoredFeature> Buildings { get; init; } = [];

    /// <summary>The special areas the job read (dedicated grids), with their versions.</summary>
    public IReadOnlyList<StoredFeature> SpecialAreas { get; init; } = [];

    /// <summary>Codes of the scope's retired grids: reserved, never given again.</summary>
    public IReadOnlySet<string> RetiredCodes { get; init; } = new HashSet<string>();
}

public static class StorePartitionInput
{
    /// <summary>Streets and roads a grid boundary should follow; paths inside blocks are not barriers.</summary>
    static readonly HashSet<string> BarrierClasses =
        ["motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link", "living_street"];

    public static bool IsBarrier(StoredFeature road) => BarrierClasses.Contains(road.Text("highway") ?? "");

    /// <summary>"all", or the code of a district, street or community: communities whose code is, or starts with, it.</summary>
    public static bool InScope(string scope, string communityCode) =>
        scope == "all" || communityCode == scope || (GridCode.IsCommunityCode(communityCode) && communityCode.StartsWith(scope, StringComparison.Ordinal));

    /// <param name="fresh">Ignore the existing grids (a new partition; codes are then matched by mutual majority on accept).</param>
    public static async Task<ScopeInput> LoadAsync(IFeatureStore store, string scope, Bounds bounds, CancellationToken ct, bool fresh = false)
    {
        var communities = (await StoreReads.AllAsync(store, Layer.Communities, null, ct)).Where(c => InScope(scope, c.Text("code") ?? c.Id)).ToList();
        Envelope? box = null;
        if (communities.Count > 0)
        {
            box = new Envelope();
            foreach (var c in communities) box.ExpandToInclude(c.Geometry.EnvelopeInternal);
        }
        else if (scope != "all") throw new ArgumentException($"no community has the code {scope} or lies in it");

        var buildings = await StoreReads.AllAsync(store, Layer.Buildings, box, ct);
        if (communities.Count > 0)
        {
            // Only buildings inside the scope's communities: neighbours outside stay with their own grids.
            var prepared = communities.Select(c => PreparedGeometryFactory.Prepare(c.Geometry)).ToList();
            buildings = buildings.Where(b =>
            {
                var p = b.Geometry is Point pt ? pt : b.Geometry.InteriorPoint;
                return prepared.Any(c => c.Covers(p));
            }).ToList();
        }
        var compounds = await StoreReads.AllAsync(store, Layer.Compounds, box, ct);
        if (communities.Count > 0)
        {
            // Compounds by containment, not by bbox: a compound whose inside point lies in no scope community is not ours.
            var areas = communities.Select(c => PreparedGeometryFactory.Prepare(c.Geometry)).ToList();
            compounds = compounds.Where(c => areas.Any(a => a.Covers(c.Geometry.InteriorPoint))).ToList();
        }
        var withBuildings = buildings.Select(b => b.Text("compound")).OfType<string>().ToHashSet();
        var network = await StoreReads.AllAsync(store, Layer.Network, box, ct);
        var special = await StoreReads.AllAsync(store, Layer.SpecialAreas, box, ct);
        var inScope = (await StoreReads.AllAsync(store, Layer.Grids, box, ct))
            .Where(g => communities.Count == 0 || InScope(scope, g.Text("community_code") ?? "") || communities.Any(c => GridCode.SequenceOf(c.Text("code") ?? c.Id, g.Id) is not null))
            .ToList();
        var grids = inScope.Where(g => g.Text("status") != "retired").ToList();
        var retired = inScope.Where(g => g.Text("status") == "retired").Select(g => g.Id).ToHashSet(StringComparer.Ordinal);

        var input = new PartitionInput(
            Units: buildings.Select(b => Building.From(b)).Select(b => new PartitionUnit(b.Id, b.Households, b.Geometry, b.Compound, b.Units.Count > 0 ? b.Units : null)).ToList(),
            Areas: communities.Count == 0 ? null : communities.Select(c => new PartitionArea(c.Text("code") ?? c.Id, c.Geometry)).ToList(),
            Compounds: compounds.Select(c => new PartitionCompound(c.Id, c.Geometry, withBuildings.Contains(c.Id) ? null : (int?)c.Integer("households"))).ToList(),
            Barriers: network.Where(n => BarrierClasses.Contains(n.Text("highway") ?? "")).Select(n => n.Geometry).ToList(),
            Existing: fresh ? null : grids.Select(g => new ExistingGrid(g.Id, g.Geometry,
                (g.Properties["unit_ids"] as JsonArray)?.Select(n => n?.ToString() ?? "").ToList() ?? [], (int?)g.Integer("households"))).ToList(),
            Bounds: bounds)
        {
            SpecialAreas = special.Select(a => new PartitionSpecialArea(a.Id, a.Text("kind") ?? "other", a.Text("name"), a.Geometry)).ToList(),
            MajorRoads = network.Where(n => PartitionRoad.Classes.Contains(n.Text("highway") ?? ""))
                .Select(n => new PartitionRoad(n.Id, n.Text("highway")!, n.Text("name"), n.Geometry)).ToList(),
        };
        return new ScopeInput(input, communities, grids) { Buildings = buildings, RetiredCodes = retired, SpecialAreas = special };
    }
}
