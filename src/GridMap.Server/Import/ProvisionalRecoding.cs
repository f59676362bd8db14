using System.Text.Json.Nodes;
using GridMap.Core.Areas;
using GridMap.Core.Codes;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Partitioning;
using GridMap.Server.Settings;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GridMap.Server.Import;

/// <summary>A straddling grid, retired: the communities it lay in and the grids that took its land.</summary>
public sealed record RepartitionedGrid(string From, IReadOnlyList<string> Communities, IReadOnlyList<string> To, double OutsideShare);

/// <summary>A grid the re-partition of straddled land made.</summary>
public sealed record NewGrid(string Code, string Community, int Households, string Type, string? BandStatus);

/// <summary>Provisional areas an import removed or clipped, by layer.</summary>
public sealed record ProvisionalChanges(IReadOnlyDictionary<string, IReadOnlyList<string>> Removed, IReadOnlyDictionary<string, IReadOnlyList<string>> Clipped);

/// <summary>What importing real communities over provisional ones did to the grids (the import's answer lists it).</summary>
public sealed record RecodingReport(
    IReadOnlyList<RecodedGrid> Recoded, IReadOnlyList<RepartitionedGrid> Repartitioned, IReadOnlyList<NewGrid> NewGrids,
    ProvisionalChanges Provisional, int BuildingsUpdated)
{
    public static readonly RecodingReport None = new([], [], [], new(new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, IReadOnlyList<string>>()), 0);
}

/// <summary>The writes that go with the import, in its transaction, and the versions they read.</summary>
public sealed record RecodingWrite(
    IReadOnlyList<(Layer Layer, string Id)> Deletes, IReadOnlyList<LayerBatch> Upserts, IReadOnlyList<ExpectedVersion> Expected, RecodingReport Report);

/// <summary>
/// Reads what importing real communities over provisional ones touches — the provisional areas, the grids of provisional
/// communities, their buildings — and turns <see cref="CommunityRecoding"/>'s plan into writes: provisional areas removed
/// or clipped, grids re-coded (retired with <c>replaced_by</c>), straddled land re-partitioned by the partitioner, and
/// every affected building's grid_code. Nothing is written here: the import writes it all in one transaction.
/// </summary>
public static class ProvisionalRecoding
{
    static bool Provisional(JsonObject p) => p["provisional"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    static readonly Layer[] AreaLayers = [Layer.Districts, Layer.Streets, Layer.Communities];

    /// <summary>Null when the import brings no real community or the store holds no provisional one.</summary>
    public static async Task<RecodingWrite?> PlanAsync(IFeatureStore store, IReadOnlyList<LayerBatch> batches, ImportMode mode, CancellationToken ct)
    {
        var brought = batches.Where(b => b.Layer == Layer.Communities).SelectMany(b => b.Features).ToList();
        if (!brought.Any(f => !Provisional(f.Properties))) return null;
        var stored = await StoreReads.AllAsync(store, Layer.Communities, null, ct);
        var broughtIds = brought.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var provisionalStored = stored.Where(c => Provisional(c.Properties)).ToList();
        if (provisionalStored.Count == 0) return null;

        var real = brought.Where(f => !Provisional(f.Properties)).Select(f => new RecodingArea(f.Id, f.Geometry)).ToList();
        if (mode == ImportMode.Upsert)
            real.AddRange(stored.Where(c => !Provisional(c.Properties) && !broughtIds.Contains(c.Id)).Select(c => new RecodingArea(c.Id, c.Geometry)));
        var provisionalCodes = provisionalStored.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var provisional = provisionalStored.Where(c => !broughtIds.Contains(c.Id)).Select(c => new RecodingArea(c.Id, c.Geometry)).ToList();

        var allGrids = await StoreReads.AllAsync(store, Layer.Grids, null, ct);
        var gridById = allGrids.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var ours = allGrids.Where(g => g.Text("status") != "retired" && provisionalCodes.Contains(CommunityOf(g, provisionalCodes) ?? "")).ToList();
        var plan = CommunityRecoding.Plan(real, provisional,
            ours.Select(g => new RecodingGrid(g.Id, CommunityOf(g, provisionalCodes)!, g.Geometry)).ToList(), allGrids.Select(g => g.Id));

        var deletes = new List<(Layer, string)>();
        var expected = new List<ExpectedVersion>();
        var upserts = new Dictionary<Layer, List<FeatureDraft>>();
        void Upsert(Layer layer, FeatureDraft f) => (upserts.TryGetValue(layer, out var l) ? l : upserts[layer] = []).Add(f);

        // A replace import empties the communities layer: emulated here (the writes go through one ApplyAsync), keeping
        // what is left of the provisional communities so that grids outside every real community keep theirs.
        var removed = plan.RemovedProvisional.ToHashSet(StringComparer.Ordinal);
        var clipped = plan.ClippedProvisional.ToDictionary(c => c.Code, StringComparer.Ordinal);
        var byId = stored.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var c in stored)
        {
            var isProvisional = provisionalCodes.Contains(c.Id);
            var goes = broughtIds.Contains(c.Id) ? false : isProvisional ? removed.Contains(c.Id) : mode == ImportMode.ReplaceLayers;
            if (goes)
            {
                deletes.Add((Layer.Communities, c.Id));
                expected.Add(new ExpectedVersion(Layer.Communities, c.Id, c.Version));
            }
            else if (clipped.TryGetValue(c.Id, out var left))
            {
                Upsert(Layer.Communities, new FeatureDraft(c.Id, left.Polygon, c.Properties));
                expected.Add(new ExpectedVersion(Layer.Communities, c.Id, c.Version));
            }
            else if (broughtIds.Contains(c.Id)) expected.Add(new ExpectedVersion(Layer.Communities, c.Id, c.Version));
        }
        if (mode == ImportMode.ReplaceLayers)
            foreach (var layer in batches.Select(b => b.Layer).Where(l => l != Layer.Communities).Distinct())
            {
                var keep = batches.Where(b => b.Layer == layer).SelectMany(b => b.Features).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
                deletes.AddRange((await StoreReads.AllAsync(store, layer, null, ct)).Where(f => !keep.Contains(f.Id)).Select(f => (layer, f.Id)));
            }

        // Provisional streets and the district shrink to the provisional communities left under them, or go.
        var leftCommunities = provisionalStored.Where(c => !removed.Contains(c.Id) && !broughtIds.Contains(c.Id))
            .Select(c => (c.Id, Parent: c.Text("street_code") ?? (c.Id.Length == 12 ? c.Id[..9] : null), Polygon: clipped.TryGetValue(c.Id, out var k) ? k.Polygon : c.Geometry))
            .ToList();
        var provisionalChanges = new ProvisionalChanges(
            new Dictionary<string, IReadOnlyList<string>> { ["communities"] = plan.RemovedProvisional },
            new Dictionary<string, IReadOnlyList<string>> { ["communities"] = plan.ClippedProvisional.Select(c => c.Code).ToList() });
        if (plan.RemovedProvisional.Count + plan.ClippedProvisional.Count > 0)
        {
            var streetsLeft = await ShrinkAsync(store, Layer.Streets, leftCommunities, s => s.Text("district_code") ?? (s.Id.Length == 9 ? s.Id[..6] : null),
                batches, deletes, expected, Upsert, provisionalChanges, ct);
            await ShrinkAsync(store, Layer.Districts, streetsLeft, _ => null, batches, deletes, expected, Upsert, provisionalChanges, ct);
        }

        // Re-coded grids: the new one carries everything over; the old one is retired, pointing to it.
        var finalActive = allGrids.Where(g => g.Text("status") != "retired").ToDictionary(g => g.Id, g => g.Properties, StringComparer.Ordinal);
        var touchedBuildings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in plan.Recoded)
        {
            var old = gridById[r.From];
            var props = (JsonObject)old.Properties.DeepClone();
            props["code"] = r.To;
            props["community_code"] = r.Community;
            if (props.ContainsKey("area")) props["area"] = r.Community; // the partitioner's area, when the grid came from one
            props["status"] = "active";
            props.Remove("replaced_by");
            props["replaces"] = new JsonArray(JsonValue.Create(r.From));
            Upsert(Layer.Grids, new FeatureDraft(r.To, old.Geometry, props));
            Upsert(Layer.Grids, PartitionApi.Retired(old, [r.To]));
            expected.Add(new ExpectedVersion(Layer.Grids, r.From, old.Version));
            expected.Add(new ExpectedVersion(Layer.Grids, r.To, 0));
            finalActive.Remove(r.From);
            finalActive[r.To] = props;
            touchedBuildings.UnionWith(UnitIds(old.Properties).Select(BuildingOf));
        }

        var repartitioned = new List<RepartitionedGrid>();
        var newGrids = new List<NewGrid>();
        if (plan.Straddling.Count > 0)
        {
            var taken = allGrids.Select(g => g.Id).Concat(plan.Recoded.Select(r => r.To)).ToList();
            var communityNames = stored.ToDictionary(c => c.Id, c => c.Text("name") ?? c.Id, StringComparer.Ordinal);
            foreach (var f in brought) communityNames[f.Id] = f.Properties["name"]?.ToString() ?? f.Id;
            var made = await RepartitionAsync(store, plan, gridById, taken, communityNames, expected, ct);
            foreach (var g in made)
            {
                Upsert(Layer.Grids, g);
                expected.Add(new ExpectedVersion(Layer.Grids, g.Id, 0));
                finalActive[g.Id] = g.Properties;
                touchedBuildings.UnionWith(UnitIds(g.Properties).Select(BuildingOf));
            }
            var band = await BandSetting.ReadAsync(store, ct);
            foreach (var s in plan.Straddling)
            {
                var old = gridById[s.Code];
                var to = made.Where(g => g.Geometry.Intersects(old.Geometry) && g.Geometry.Intersection(old.Geometry).Area > 0).Select(g => g.Id).ToList();
                Upsert(Layer.Grids, PartitionApi.Retired(old, to));
                expected.Add(new ExpectedVersion(Layer.Grids, old.Id, old.Version));
                finalActive.Remove(old.Id);
                touchedBuildings.UnionWith(UnitIds(old.Properties).Select(BuildingOf));
                repartitioned.Add(new RepartitionedGrid(old.Id, s.Shares.Select(x => x.Community).ToList(), to, s.OutsideShare));
            }
            newGrids.AddRange(made.Select(g => new NewGrid(g.Id, g.Properties["community_code"]!.ToString(), (int)(JsonNumber.ToLong(g.Properties["households"]) ?? 0),
                g.Properties["type"]?.ToString() ?? "basic", BandSetting.StatusOf(g.Properties, band.For(g.Properties["community_code"]!.ToString())))));
        }

        // Buildings follow: grid_code (and grid_codes of a split building) from the active grids that list them.
        var buildingsUpdated = 0;
        if (touchedBuildings.Count > 0)
        {
            var gridsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (code, props) in finalActive.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                foreach (var b in UnitIds(props).Select(BuildingOf).Distinct())
                    if (touchedBuildings.Contains(b)) (gridsOf.TryGetValue(b, out var l) ? l : gridsOf[b] = []).Add(code);
            var readBuildings = expected.Where(e => e.Layer == Layer.Buildings).Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            var communityOfGrid = finalActive.ToDictionary(kv => kv.Key, kv => kv.Value["community_code"]?.ToString(), StringComparer.Ordinal);
            foreach (var id in touchedBuildings.Order(StringComparer.Ordinal))
            {
                if (await store.GetAsync(Layer.Buildings, id, ct) is not { } b) continue;
                var props = (JsonObject)b.Properties.DeepClone();
                if (gridsOf.TryGetValue(id, out var codes))
                {
                    // Keep the building's own first grid first when it still holds it.
                    if (b.Text("grid_code") is { } was && codes.Remove(was)) codes.Insert(0, was);
                    props["grid_code"] = codes[0];
                    if (codes.Count > 1) props["grid_codes"] = new JsonArray(codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
                    else props.Remove("grid_codes");
                    // A building that names its community follows its grid out of a provisional one.
                    if (b.Text("community_code") is { } cc && provisionalCodes.Contains(cc) && communityOfGrid[codes[0]] is { } now) props["community_code"] = now;
                }
                else
                {
                    props.Remove("grid_code");
                    props.Remove("grid_codes");
                }
                if (JsonNode.DeepEquals(props, b.Properties)) continue;
                Upsert(Layer.Buildings, new FeatureDraft(b.Id, b.Geometry, props));
                if (!readBuildings.Contains(b.Id)) expected.Add(new ExpectedVersion(Layer.Buildings, b.Id, b.Version));
                buildingsUpdated++;
            }
        }

        if (!plan.ChangesAnything && deletes.Count == 0) return null;
        var report = new RecodingReport(plan.Recoded, repartitioned, newGrids, provisionalChanges, buildingsUpdated);
        return new RecodingWrite(deletes, upserts.Select(kv => new LayerBatch(kv.Key, kv.Value)).ToList(), expected, report);
    }

    /// <summary>
    /// Provisional areas of one level shrink to the union of the provisional areas left under them, or are removed when none
    /// is left. Returns what is left of them (id, parent, polygon), for the level above.
    /// </summary>
    static async Task<List<(string Id, string? Parent, Geometry Polygon)>> ShrinkAsync(IFeatureStore store, Layer layer,
        IReadOnlyList<(string Id, string? Parent, Geometry Polygon)> children, Func<StoredFeature, string?> parentOf,
        IReadOnlyList<LayerBatch> batches, List<(Layer, string)> deletes, List<ExpectedVersion> expected, Action<Layer, FeatureDraft> upsert,
        ProvisionalChanges changes, CancellationToken ct)
    {
        var broughtIds = batches.Where(b => b.Layer == layer).SelectMany(b => b.Features).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var left = new List<(string, string?, Geometry)>();
        var removed = new List<string>();
        var clipped = new List<string>();
        foreach (var area in (await StoreReads.AllAsync(store, layer, null, ct)).Where(a => Provisional(a.Properties) && !broughtIds.Contains(a.Id)))
        {
            var under = children.Where(c => c.Parent == area.Id).Select(c => c.Polygon).ToList();
            if (under.Count == 0)
            {
                deletes.Add((layer, area.Id));
                expected.Add(new ExpectedVersion(layer, area.Id, area.Version));
                removed.Add(area.Id);
                continue;
            }
            var polygon = GeometryRules.SnapPolygonal(UnaryUnionOp.Union(under));
            left.Add((area.Id, parentOf(area), polygon));
            if (Math.Abs(polygon.Area - area.Geometry.Area) < 1e-12 && polygon.EqualsTopologically(area.Geometry)) continue;
            upsert(layer, new FeatureDraft(area.Id, polygon, area.Properties));
            expected.Add(new ExpectedVersion(layer, area.Id, area.Version));
            clipped.Add(area.Id);
        }
        ((Dictionary<string, IReadOnlyList<string>>)changes.Removed)[layer.Key()] = removed;
        ((Dictionary<string, IReadOnlyList<string>>)changes.Clipped)[layer.Key()] = clipped;
        return left;
    }

    /// <summary>
    /// The straddled land, community by community, partitioned by the partitioner (as a partition job would, with the
    /// band in force) from the buildings — or the stairwells — the straddling grids held. New grids take each community's
    /// next free codes; the workers of a straddling grid go to the new grid that took most of its households.
    /// </summary>
    static async Task<List<FeatureDraft>> RepartitionAsync(IFeatureStore store, RecodingPlan plan, IReadOnlyDictionary<string, StoredFeature> gridById,
        IReadOnlyList<string> taken, IReadOnlyDictionary<string, string> communityNames, List<ExpectedVersion> expected, CancellationToken ct)
    {
        var box = new Envelope();
        foreach (var a in plan.Repartition) box.ExpandToInclude(a.Polygon.EnvelopeInternal);
        foreach (var s in plan.Straddling) box.ExpandToInclude(gridById[s.Code].Geometry.EnvelopeInternal);

        // What the straddling grids held: whole buildings, or some stairwells of a building split with other grids.
        var held = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var holder = new Dictionary<string, string>(StringComparer.Ordinal); // unit id → the straddling grid that held it
        foreach (var s in plan.Straddling)
            foreach (var unit in UnitIds(gridById[s.Code].Properties))
            {
                (held.TryGetValue(BuildingOf(unit), out var l) ? l : held[BuildingOf(unit)] = []).Add(unit);
                holder[unit] = s.Code;
            }
        var band = await BandSetting.ReadAsync(store, ct);
        var buildings = await StoreReads.AllAsync(store, Layer.Buildings, box, ct);
        var units = new List<PartitionUnit>();
        var partial = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var b in buildings.Where(b => held.ContainsKey(b.Id)))
        {
            expected.Add(new ExpectedVersion(Layer.Buildings, b.Id, b.Version));
            var building = Building.From(b);
            var ids = held[b.Id];
            if (ids.Contains(b.Id))
            {
                units.Add(new PartitionUnit(b.Id, building.Households, b.Geometry, building.Compound, building.Units.Count > 0 ? building.Units : null));
                continue;
            }
            var mine = building.Units.Where(u => ids.Contains($"{b.Id}/{u.Id}") || ids.Contains(u.Id)).ToList();
            // Synthesised stairwells are not stored: their households are the building's shares (the same numbers give the same units).
            if (mine.Count == 0)
                mine = BuildingUnit.Synthesise(building.Households, band.Store.SynthesisedUnitHouseholds).Where(u => ids.Contains($"{b.Id}/{u.Id}")).ToList();
            partial[b.Id] = ids;
            units.Add(new PartitionUnit(b.Id, mine.Sum(u => u.Households), b.Geometry, building.Compound, mine.Count > 1 ? mine : null));
        }
        var withBuildings = buildings.Select(b => b.Text("compound")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var pieces = plan.Repartition.Select(a => PreparedGeometryFactory.Prepare(a.Polygon)).ToList();
        var compounds = (await StoreReads.AllAsync(store, Layer.Compounds, box, ct)).Where(c => pieces.Any(p => p.Covers(c.Geometry.InteriorPoint))).ToList();
        var network = await StoreReads.AllAsync(store, Layer.Network, box, ct);
        var special = await StoreReads.AllAsync(store, Layer.SpecialAreas, box, ct);
        var input = new PartitionInput(
            Units: units,
            Areas: plan.Repartition.Select(a => new PartitionArea(a.Community, a.Polygon)).ToList(),
            Compounds: compounds.Select(c => new PartitionCompound(c.Id, c.Geometry, withBuildings.Contains(c.Id) ? null : (int?)c.Integer("households"))).ToList(),
            Barriers: network.Where(StorePartitionInput.IsBarrier).Select(n => n.Geometry).ToList(),
            Existing: null,
            Bounds: band.Store)
        {
            SpecialAreas = special.Select(a => new PartitionSpecialArea(a.Id, a.Text("kind") ?? "other", a.Text("name"), a.Geometry)).ToList(),
        };
        var result = WithoutLandlessGrids(await Task.Run(() => GridPartitioner.Partition(input, ct), ct).ConfigureAwait(false), units);

        // Codes: each community's next free sequences, after every code taken (retired and just re-coded included).
        var grids = new List<FeatureDraft>();
        var used = taken.ToList();
        foreach (var area in result.Grids.GroupBy(g => g.Area))
        {
            var list = area.ToList();
            var codes = CommunityRecoding.NextCodes(area.Key, list.Select(g => g.Polygon).ToList(), used);
            used.AddRange(codes);
            for (var i = 0; i < list.Count; i++)
            {
                var g = list[i];
                var unitIds = g.UnitIds.SelectMany(id => partial.TryGetValue(id, out var mine) ? mine : [id]).ToList();
                var sequence = codes[i].Length > area.Key.Length ? codes[i][area.Key.Length..].TrimStart('-').TrimStart('0') : codes[i];
                var props = new JsonObject
                {
                    ["code"] = codes[i],
                    ["name"] = $"{communityNames.GetValueOrDefault(area.Key, area.Key)}第{sequence}网格",
                    ["community_code"] = area.Key,
                    ["households"] = g.Households,
                    ["unit_ids"] = new JsonArray(unitIds.Select(u => (JsonNode)JsonValue.Create(u)!).ToArray()),
                    ["status"] = "active",
                    ["type"] = g.Type,
                    ["replaces"] = new JsonArray(unitIds.Select(u => holder.GetValueOrDefault(u)).OfType<string>().Distinct().Order(StringComparer.Ordinal)
                        .Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
                };
                if (g.Special is { } s) props["special_area"] = new JsonObject { ["id"] = s.Id, ["kind"] = s.Kind, ["name"] = s.Name };
                grids.Add(new FeatureDraft(codes[i], g.Polygon, props));
            }
        }

        // Each straddling grid's workers go to the new grid that took most of its buildings (a worker follows most of the residents).
        foreach (var s in plan.Straddling)
        {
            if (gridById[s.Code].Properties["workers"] is not JsonArray { Count: > 0 } workers) continue;
            var heir = grids.Where(g => g.Properties["workers"] is null)
                .Select(g => (Grid: g, Share: UnitIds(g.Properties).Where(u => holder.GetValueOrDefault(u) == s.Code).Count()))
                .Where(x => x.Share > 0).OrderByDescending(x => x.Share).Select(x => x.Grid).FirstOrDefault();
            if (heir is not null) heir.Properties["workers"] = workers.DeepClone();
        }
        return grids;
    }

    /// <summary>
    /// A building whose point lies outside the straddled land (it joined the nearest piece) can come back as a grid with
    /// no land: its units join the nearest grid with land, of its community where there is one.
    /// </summary>
    static PartitionResult WithoutLandlessGrids(PartitionResult result, IReadOnlyList<PartitionUnit> units)
    {
        var landless = result.Grids.Where(g => g.Polygon.IsEmpty).ToList();
        if (landless.Count == 0) return result;
        var grids = result.Grids.Where(g => !g.Polygon.IsEmpty).ToList();
        if (grids.Count == 0) return result with { Grids = [] };
        var geometry = units.ToDictionary(u => u.Id, u => u.Geometry, StringComparer.Ordinal);
        foreach (var g in landless)
        {
            var at = g.UnitIds.Select(id => geometry.GetValueOrDefault(id.Split('/')[0])).FirstOrDefault(x => x is not null);
            var candidates = grids.Where(x => x.Area == g.Area && x.Type == "basic").ToList();
            if (candidates.Count == 0) candidates = grids;
            var into = at is null ? candidates[0] : candidates.MinBy(x => x.Polygon.Distance(at))!;
            var merged = into with { Households = into.Households + g.Households, UnitIds = [.. into.UnitIds, .. g.UnitIds] };
            grids[grids.IndexOf(into)] = merged;
        }
        return result with { Grids = grids };
    }

    /// <summary>A grid's community: its community_code, else the provisional community its code starts with.</summary>
    static string? CommunityOf(StoredFeature grid, IReadOnlySet<string> provisional) =>
        grid.Text("community_code") is { Length: > 0 } c ? c : provisional.FirstOrDefault(p => GridCode.SequenceOf(p, grid.Id) is not null);

    static IEnumerable<string> UnitIds(JsonObject props) =>
        (props["unit_ids"] as JsonArray ?? []).Select(n => n?.ToString() ?? "").Where(s => s.Length > 0);

    static string BuildingOf(string unitId) => unitId.Split('/')[0];
}
