using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>The sample city: one batch per layer, ready to import.</summary>
public sealed record SampleCity(IReadOnlyList<LayerBatch> Batches)
{
    public IReadOnlyList<FeatureDraft> Features(Layer layer) =>
        Batches.FirstOrDefault(b => b.Layer == layer)?.Features ?? [];
}

/// <summary>
/// Generates a deterministic synthetic Bozhou district (播州区, 520304) around 106.83 E, 27.54 N:
/// streets, communities, compounds, buildings, grids, service stations and a walking network.
/// At scale 1 about 3 streets, 12 communities, 60 compounds, 3,000 buildings and 60,000 households;
/// <c>scale</c> grows the district outward in proportion. Same seed and scale, same output, byte for byte.
/// </summary>
public static class SampleCityGenerator
{
    public const string DistrictCode = "520304";
    public const string DistrictName = "播州区";

    /// <summary>Blocks per unit of scale: about 60,000 households at scale 1.</summary>
    const double BlocksPerScale = 48;

    public static SampleCity Generate(int seed = 1, double scale = 1.0)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be a positive number");
        var random = new Random(seed);
        var streets = Math.Max(1, (int)Math.Round(3 * scale));
        var communities = Math.Max(streets, (int)Math.Round(12 * scale));
        var blocks = Math.Max(2 * communities, (int)Math.Round(BlocksPerScale * scale));
        var blocksX = Math.Max(1, (int)Math.Round(Math.Sqrt(blocks)));
        var blocksY = (int)Math.Ceiling((double)blocks / blocksX);

        var layout = StreetGridLayout.Create(random, blocksX, blocksY);
        var plan = new SamplePlan(random, layout, new SampleNames(random));
        RoadPlanner.Plan(plan);
        new CompoundPlanner(plan).Plan();
        AreaPartitioner.Partition(plan, streets, communities);
        NameCompounds(plan);
        var assembler = new GridAssembler(plan);
        foreach (var community in plan.Communities) assembler.Assemble(community);
        new StationPlanner(plan).Plan();
        var ways = new WalkNetworkBuilder(plan).Build();

        return new SampleCity(
        [
            new LayerBatch(Layer.Districts, [District(plan)]),
            new LayerBatch(Layer.Streets, plan.Streets.Select(s => Area(plan, s, "district_code", DistrictCode)).ToList()),
            new LayerBatch(Layer.Communities, plan.Communities.Select(c => Area(plan, c, "street_code", c.Parent!.Code)).ToList()),
            new LayerBatch(Layer.Compounds, plan.Compounds.Select(c => Compound(plan, c)).ToList()),
            new LayerBatch(Layer.Buildings, plan.Buildings.Select(b => Building(plan, b)).ToList()),
            new LayerBatch(Layer.Grids, plan.Communities.SelectMany(c => c.Grids).Select(Grid).ToList()),
            new LayerBatch(Layer.Stations, plan.Stations.Select((s, k) => Station(plan, s, k)).ToList()),
            new LayerBatch(Layer.Network, ways.Select((w, k) => Way(w, k, ways.Count)).ToList()),
            // The synthetic district is all housing: campuses and business land come with real data.
            new LayerBatch(Layer.SpecialAreas, []),
        ]);
    }

    /// <summary>Ids, names and addresses, in community order so numbering reads like a real register.</summary>
    static void NameCompounds(SamplePlan plan)
    {
        var ordered = plan.Communities.SelectMany(c => c.Blocks.SelectMany(b => b.Compounds)).ToList();
        var compoundWidth = Width(ordered.Count);
        var buildingWidth = Width(plan.Buildings.Count);
        plan.Compounds.Clear();
        plan.Compounds.AddRange(ordered);
        plan.Buildings.Clear();
        var random = plan.Random;
        var compoundCount = 0;
        foreach (var compound in ordered)
        {
            var community = compound.Block.Community!;
            var street = community.Parent!;
            var road = compound.FrontRoad!;
            var local = compound.Class is CompoundClasses.Old
                ? RoadBase(road.Name!)
                : random.Next(3) == 0 ? community.Name.Replace("社区", "") : plan.Names.Place();
            compound.Name = plan.Names.Compound(compound.Class, local);
            compound.Id = $"c{(++compoundCount).ToString().PadLeft(compoundWidth, '0')}";
            for (var k = 0; k < compound.Buildings.Count; k++)
            {
                var building = compound.Buildings[k];
                plan.Buildings.Add(building);
                building.Id = $"b{plan.Buildings.Count.ToString().PadLeft(buildingWidth, '0')}";
                if (compound.Walled)
                    building.Address = $"{street.Name}{road.Name}{compound.DoorNumber}号{compound.Name}{k + 1}栋";
                else
                {
                    // Self-built houses each carry their own door number along the lane's road.
                    building.Address = $"{street.Name}{road.Name}{road.NextNumber}号";
                    road.NextNumber++;
                }
            }
        }
    }

    static string RoadBase(string road) =>
        road.EndsWith("大道", StringComparison.Ordinal) ? road[..^2] : road.EndsWith('路') || road.EndsWith('街') ? road[..^1] : road;

    /// <summary>
    /// Numbers as JSON elements, the way parsed GeoJSON carries them: readers may ask for int, long or double.
    /// </summary>
    static JsonNode Number(int value) => JsonValue.Create(JsonSerializer.SerializeToElement(value))!;

    static int Width(int count) => Math.Max(5, count.ToString().Length);

    static FeatureDraft District(SamplePlan plan)
    {
        var l = plan.Layout;
        return new FeatureDraft(DistrictCode, GeometryRules.OrientForRfc7946(l.RectPolygonLonLat(0, 0, l.NX, l.NY)),
            new JsonObject { ["code"] = DistrictCode, ["name"] = DistrictName });
    }

    static FeatureDraft Area(SamplePlan plan, PlannedArea area, string parentKey, string parentCode)
    {
        var l = plan.Layout;
        var polygon = l.RectPolygonLonLat(l.ColumnLines[area.Bx0], l.RowLines[area.By0], l.ColumnLines[area.Bx1], l.RowLines[area.By1]);
        return new FeatureDraft(area.Code, GeometryRules.OrientForRfc7946(polygon),
            new JsonObject { ["code"] = area.Code, ["name"] = area.Name, [parentKey] = parentCode });
    }

    static FeatureDraft Compound(SamplePlan plan, PlannedCompound c) => new(c.Id, CompoundPlanner.Outline(plan, c), new JsonObject
    {
        ["name"] = c.Name,
        ["class"] = c.Class,
        ["property_management"] = c.PropertyManagement,
        ["households"] = Number(c.Households),
        ["households_estimated"] = false,
        ["community_code"] = c.Block.Community!.Code,
    });

    static FeatureDraft Building(SamplePlan plan, PlannedBuilding b)
    {
        var properties = new JsonObject
        {
            ["households"] = Number(b.Households),
            ["households_estimated"] = false,
            ["levels"] = Number(b.Levels),
            ["building"] = b.Type,
        };
        if (b.Units.Length > 0)
            properties["units"] = new JsonArray(b.Units.Select((h, k) => (JsonNode)new JsonObject { ["id"] = $"{b.Id}-{k + 1}", ["households"] = Number(h) }).ToArray());
        properties["address"] = b.Address;
        properties["compound"] = b.Compound.Id;
        properties["community_code"] = b.Compound.Block.Community!.Code;
        properties["grid_code"] = b.GridCode;
        return new FeatureDraft(b.Id, plan.Layout.ToLonLat(b.Footprint), properties);
    }

    static FeatureDraft Grid(PlannedGrid g) => new(g.Code, g.Geometry, new JsonObject
    {
        ["code"] = g.Code,
        ["name"] = $"{g.Community.Name}第{g.Sequence}网格",
        ["community_code"] = g.Community.Code,
        ["workers"] = new JsonArray(new JsonObject { ["name"] = $"网格员{g.Sequence:00}", ["phone"] = $"138{g.Code[^8..]}" }),
        ["households"] = Number(g.Households),
        ["unit_ids"] = new JsonArray(g.Buildings.Select(b => (JsonNode)JsonValue.Create(b.Id)).ToArray()),
        ["status"] = "active",
    });

    static FeatureDraft Station(SamplePlan plan, PlannedStation s, int index)
    {
        var properties = new JsonObject
        {
            ["kind"] = s.Kind,
            ["name"] = s.Name,
            ["opening_hours"] = s.OpeningHours,
        };
        if (s.Capacity is { } capacity) properties["capacity"] = Number(capacity);
        properties["community_code"] = s.Community.Code;
        var point = GeometryRules.Factory.CreatePoint(plan.Layout.ToLonLat(s.Location));
        return new FeatureDraft($"s{(index + 1).ToString().PadLeft(Width(plan.Stations.Count), '0')}", point, properties);
    }

    static FeatureDraft Way(PlannedWay w, int index, int count)
    {
        var t = w.Tags;
        var properties = new JsonObject { ["highway"] = t.Highway };
        if (t.Name is not null) properties["name"] = t.Name;
        if (t.Foot is not null) properties["foot"] = t.Foot;
        if (t.Sidewalk is not null) properties["sidewalk"] = t.Sidewalk;
        if (t.Bridge is not null) properties["bridge"] = t.Bridge;
        if (t.Layer is not null) properties["layer"] = t.Layer;
        return new FeatureDraft($"r{(index + 1).ToString().PadLeft(Width(count), '0')}", w.Line, properties);
    }
}
