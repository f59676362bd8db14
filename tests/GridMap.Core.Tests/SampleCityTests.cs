using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Codes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Tests;

public class SampleCityTests
{
    static readonly Lazy<SampleCity> Shared = new(() => SampleCityGenerator.Generate());
    static SampleCity City => Shared.Value;
    static readonly MetricProjection Metric = MetricProjection.ForLongitude(StreetLon);
    const double StreetLon = 106.83;

    static IReadOnlyList<FeatureDraft> Layer(Layer layer) => City.Features(layer);
    static int Int(FeatureDraft f, string name) => f.Properties[name]!.GetValue<int>();
    static string Text(FeatureDraft f, string name) => f.Properties[name]!.GetValue<string>();

    static string Serialize(SampleCity city)
    {
        var text = new StringBuilder();
        foreach (var batch in city.Batches)
        foreach (var f in batch.Features)
            text.Append(batch.Layer).Append('|').Append(f.Id).Append('|').Append(f.Geometry.AsText())
                .Append('|').Append(f.Properties.ToJsonString()).Append('\n');
        return text.ToString();
    }

    [Fact]
    public void Same_seed_and_scale_give_identical_output()
    {
        var again = SampleCityGenerator.Generate();
        Assert.Equal(Serialize(City), Serialize(again));
        Assert.NotEqual(Serialize(City), Serialize(SampleCityGenerator.Generate(seed: 2, scale: 0.3)) );
    }

    [Fact]
    public void Has_one_batch_per_layer_in_store_order()
    {
        Assert.Equal(Layers.All, City.Batches.Select(b => b.Layer));
    }

    [Fact]
    public void Counts_at_scale_one_match_a_small_district()
    {
        var district = Assert.Single(Layer(Model.Layer.Districts));
        Assert.Equal("520304", district.Id);
        Assert.Equal("播州区", Text(district, "name"));
        Assert.Equal(3, Layer(Model.Layer.Streets).Count);
        Assert.InRange(Layer(Model.Layer.Communities).Count, 10, 14);
        Assert.InRange(Layer(Model.Layer.Compounds).Count, 45, 80);
        Assert.InRange(Layer(Model.Layer.Buildings).Count, 2500, 3600);
        Assert.InRange(Layer(Model.Layer.Buildings).Sum(b => Int(b, "households")), 50_000, 70_000);
        Assert.InRange(Layer(Model.Layer.Grids).Count, 180, 300);
        Assert.InRange(Layer(Model.Layer.Stations).Count, 30, 50);
        Assert.InRange(Layer(Model.Layer.Network).Count, 500, 5000);
        Assert.Equal("b00001", Layer(Model.Layer.Buildings)[0].Id);
        Assert.Equal("r00001", Layer(Model.Layer.Network)[0].Id);
    }

    [Fact]
    public void Every_feature_is_valid_without_repairs_and_unchanged_by_validation()
    {
        foreach (var batch in City.Batches)
        {
            Assert.Equal(batch.Features.Count, batch.Features.Select(f => f.Id).Distinct().Count());
            foreach (var f in batch.Features)
            {
                var result = FeatureValidator.Validate(batch.Layer, null, f.Id, f.Geometry, f.Properties);
                Assert.True(result.IsValid, $"{batch.Layer}/{f.Id}: {string.Join("; ", result.Problems.Select(p => p.Pointer + " " + p.Message))}");
                Assert.Empty(result.Repairs);
                Assert.Equal(f.Id, result.Draft!.Id);
                Assert.True(f.Geometry.EqualsExact(result.Draft.Geometry), $"{batch.Layer}/{f.Id} geometry changed by validation");
                Assert.Equal(4326, f.Geometry.SRID);
                foreach (var name in f.Properties.Select(p => p.Key))
                    Assert.True(LayerSchema.For(batch.Layer).Find(name) is not null, $"{batch.Layer}/{f.Id}: '{name}' is not in the schema");
                foreach (var c in f.Geometry.Coordinates)
                {
                    Assert.Equal(Math.Round(c.X, 7), c.X);
                    Assert.Equal(Math.Round(c.Y, 7), c.Y);
                }
                if (f.Geometry is Polygon p) Assert.True(p.Shell.IsCCW, $"{batch.Layer}/{f.Id} shell is clockwise");
            }
        }
    }

    [Fact]
    public void Streets_tile_the_district_and_communities_tile_their_street()
    {
        var district = Layer(Model.Layer.Districts)[0];
        AssertTiles(district.Geometry, Layer(Model.Layer.Streets).Select(s => s.Geometry).ToList());
        foreach (var street in Layer(Model.Layer.Streets))
        {
            Assert.Matches(@"^520304\d{3}$", street.Id);
            var communities = Layer(Model.Layer.Communities).Where(c => Text(c, "street_code") == street.Id).ToList();
            Assert.NotEmpty(communities);
            Assert.All(communities, c => Assert.Matches($"^{street.Id}\\d{{3}}$", c.Id));
            AssertTiles(street.Geometry, communities.Select(c => c.Geometry).ToList());
        }
    }

    [Fact]
    public void Grids_tile_each_community()
    {
        foreach (var community in Layer(Model.Layer.Communities))
        {
            var grids = Layer(Model.Layer.Grids).Where(g => Text(g, "community_code") == community.Id).ToList();
            Assert.NotEmpty(grids);
            AssertTiles(community.Geometry, grids.Select(g => g.Geometry).ToList());
        }
    }

    /// <summary>The children cover the parent (union area equals its area within 1 m²) and overlap each other by under 1 m².</summary>
    static void AssertTiles(Geometry parent, IReadOnlyList<Geometry> children)
    {
        var parentM = Metric.Project(parent);
        var childrenM = children.Select(Metric.Project).ToList();
        var union = NetTopologySuite.Operation.Union.UnaryUnionOp.Union(childrenM);
        Assert.True(Math.Abs(union.Area - parentM.Area) < 1, $"union {union.Area:0.0} m² vs parent {parentM.Area:0.0} m²");
        Assert.True(union.SymmetricDifference(parentM).Area < 1, "children do not cover the parent");
        for (var a = 0; a < childrenM.Count; a++)
        for (var b = a + 1; b < childrenM.Count; b++)
        {
            if (!childrenM[a].EnvelopeInternal.Intersects(childrenM[b].EnvelopeInternal)) continue;
            var overlap = childrenM[a].Intersection(childrenM[b]).Area;
            Assert.True(overlap < 1, $"children {a} and {b} overlap by {overlap:0.0} m²");
        }
    }

    [Fact]
    public void Every_building_is_in_exactly_one_grid_whose_code_it_carries()
    {
        var gridOf = new Dictionary<string, FeatureDraft>();
        foreach (var grid in Layer(Model.Layer.Grids))
        {
            var ids = grid.Properties["unit_ids"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            foreach (var id in ids) Assert.True(gridOf.TryAdd(id, grid), $"{id} is in two grids");
        }
        var buildings = Layer(Model.Layer.Buildings).ToDictionary(b => b.Id);
        Assert.Equal(buildings.Count, gridOf.Count);
        foreach (var (id, grid) in gridOf)
        {
            var building = buildings[id];
            Assert.Equal(grid.Id, Text(building, "grid_code"));
            Assert.Equal(Text(grid, "community_code"), Text(building, "community_code"));
            Assert.True(grid.Geometry.Covers(building.Geometry), $"{id} lies outside its grid {grid.Id}");
        }
        foreach (var grid in Layer(Model.Layer.Grids))
        {
            var sum = grid.Properties["unit_ids"]!.AsArray().Sum(n => Int(buildings[n!.GetValue<string>()], "households"));
            Assert.Equal(sum, Int(grid, "households"));
        }
    }

    [Fact]
    public void Grids_hold_200_to_300_households_and_carry_15_digit_codes_in_reading_order()
    {
        var grids = Layer(Model.Layer.Grids);
        var inRange = grids.Count(g => Int(g, "households") is >= 200 and <= 300);
        Assert.True(inRange >= 0.9 * grids.Count, $"only {inRange} of {grids.Count} grids hold 200–300 households");
        Assert.Equal(grids.Count, grids.Select(g => g.Id).Distinct().Count());
        foreach (var byCommunity in grids.GroupBy(g => Text(g, "community_code")))
        {
            var list = byCommunity.ToList();
            var order = GridCode.ReadingOrder(list.Select(g => g.Geometry).ToList());
            for (var n = 0; n < order.Count; n++)
            {
                var grid = list[order[n]];
                Assert.Matches(@"^\d{15}$", grid.Id);
                Assert.Equal(GridCode.Format(byCommunity.Key, n + 1), grid.Id);
                Assert.EndsWith($"第{n + 1}网格", Text(grid, "name"));
                Assert.Equal("active", Text(grid, "status"));
                var worker = Assert.Single(grid.Properties["workers"]!.AsArray())!;
                Assert.StartsWith("网格员", worker["name"]!.GetValue<string>());
                Assert.Matches(@"^1\d{10}$", worker["phone"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public void Compounds_cover_every_class_sit_inside_their_community_and_sum_their_buildings()
    {
        var compounds = Layer(Model.Layer.Compounds);
        Assert.Equal(CompoundClasses.All.Select(k => k.Key).Order(), compounds.Select(c => Text(c, "class")).Distinct().Order());
        var communities = Layer(Model.Layer.Communities).ToDictionary(c => c.Id);
        var buildingsOf = Layer(Model.Layer.Buildings).ToLookup(b => Text(b, "compound"));
        foreach (var compound in compounds)
        {
            Assert.False(compound.Properties["households_estimated"]!.GetValue<bool>());
            Assert.True(communities[Text(compound, "community_code")].Geometry.Covers(compound.Geometry), $"{compound.Id} leaves its community");
            var buildings = buildingsOf[compound.Id].ToList();
            Assert.NotEmpty(buildings);
            Assert.Equal(buildings.Sum(b => Int(b, "households")), Int(compound, "households"));
            Assert.All(buildings, b => Assert.True(compound.Geometry.Covers(b.Geometry), $"{b.Id} leaves compound {compound.Id}"));
            Assert.All(buildings, b => Assert.Equal(Text(compound, "community_code"), Text(b, "community_code")));
        }
        var highRise = compounds.Where(c => Text(c, "class") is CompoundClasses.CommercialResidential or CompoundClasses.CommercialHousing).ToList();
        Assert.True(highRise.Count(c => Int(c, "households") is >= 1000 and <= 3000) >= 0.8 * highRise.Count);
        var old = compounds.Where(c => Text(c, "class") == CompoundClasses.Old).ToList();
        Assert.All(old, c => Assert.False(c.Properties["property_management"]!.GetValue<bool>()));
        Assert.True(old.Count(c => Int(c, "households") is >= 100 and <= 400) >= 0.8 * old.Count);
    }

    [Fact]
    public void Buildings_look_like_their_kind_and_never_overlap()
    {
        var buildings = Layer(Model.Layer.Buildings);
        var compounds = Layer(Model.Layer.Compounds).ToDictionary(c => c.Id);
        foreach (var b in buildings)
        {
            var levels = Int(b, "levels");
            var households = Int(b, "households");
            Assert.Contains("号", Text(b, "address"));
            switch (Text(b, "building"))
            {
                case "apartments":
                    Assert.InRange(levels, 11, 33);
                    var units = b.Properties["units"]!.AsArray();
                    Assert.NotEmpty(units);
                    Assert.Equal(households, units.Sum(u => u!["households"]!.GetValue<int>()));
                    break;
                case "residential" when b.Properties["units"] is JsonArray:
                    Assert.InRange(levels, 3, 7);
                    break;
                default:
                    Assert.InRange(levels, 1, 4);
                    Assert.InRange(households, 1, 4);
                    Assert.Contains(Text(compounds[Text(b, "compound")], "class"), new[] { CompoundClasses.SelfBuilt, CompoundClasses.UrbanRuralFringe });
                    break;
            }
        }
        var commercial = buildings.Where(b => Text(compounds[Text(b, "compound")], "class") is CompoundClasses.CommercialResidential or CompoundClasses.CommercialHousing);
        Assert.All(commercial, b => Assert.InRange(Int(b, "levels"), 18, 33));

        var index = new STRtree<FeatureDraft>();
        foreach (var b in buildings) index.Insert(b.Geometry.EnvelopeInternal, b);
        foreach (var b in buildings)
        foreach (var other in index.Query(b.Geometry.EnvelopeInternal))
            if (!ReferenceEquals(other, b)) Assert.False(b.Geometry.Intersects(other.Geometry), $"{b.Id} overlaps {other.Id}");
    }

    [Fact]
    public void Stations_cover_at_least_ten_kinds_and_sit_in_their_community()
    {
        var stations = Layer(Model.Layer.Stations);
        Assert.True(stations.Select(s => Text(s, "kind")).Distinct().Count() >= 10);
        var communities = Layer(Model.Layer.Communities).ToDictionary(c => c.Id);
        Assert.All(communities.Keys, code => Assert.Contains(stations, s => Text(s, "kind") == StationKinds.PartyServiceCentre && Text(s, "community_code") == code));
        foreach (var s in stations)
        {
            Assert.IsType<Point>(s.Geometry);
            Assert.False(string.IsNullOrEmpty(Text(s, "opening_hours")));
            Assert.True(communities[Text(s, "community_code")].Geometry.Covers(s.Geometry), $"{s.Id} lies outside its community");
        }
        var footprints = new STRtree<Geometry>();
        foreach (var b in Layer(Model.Layer.Buildings)) footprints.Insert(b.Geometry.EnvelopeInternal, b.Geometry);
        Assert.All(stations, s => Assert.DoesNotContain(footprints.Query(s.Geometry.EnvelopeInternal), g => g.Covers(s.Geometry)));
    }

    [Fact]
    public void Network_ways_meet_at_shared_end_vertices_and_walking_crosses_the_river_by_a_footbridge()
    {
        var ways = Layer(Model.Layer.Network);
        var endpoints = new Dictionary<Coordinate, List<int>>();
        var interior = new HashSet<Coordinate>();
        for (var k = 0; k < ways.Count; k++)
        {
            var line = (LineString)ways[k].Geometry;
            foreach (var end in new[] { line.StartPoint.Coordinate, line.EndPoint.Coordinate })
            {
                if (!endpoints.TryGetValue(end, out var list)) endpoints[end] = list = [];
                list.Add(k);
            }
            for (var v = 1; v < line.NumPoints - 1; v++) Assert.True(interior.Add(line.GetCoordinateN(v)), $"{ways[k].Id} shares an inner vertex");
        }
        Assert.DoesNotContain(interior, endpoints.ContainsKey);

        var tags = ways.Select(w => WalkLine.From(new StoredFeature(Model.Layer.Network, w.Id, 1, w.Geometry, w.Properties)).Single()).ToList();
        var highways = ways.Select(w => Text(w, "highway")).ToHashSet();
        Assert.Superset(new HashSet<string> { "primary", "secondary", "residential", "footway", "service", "steps", "trunk" }, highways);
        Assert.All(tags.Where(t => t.Tags["highway"] == "trunk"), t => Assert.False(t.Walkable));
        var bridge = Assert.Single(ways, w => w.Properties["bridge"]?.GetValue<string>() == "yes");
        Assert.Equal("footway", Text(bridge, "highway"));

        // Walkable ways form one network (union–find over shared end vertices).
        var parent = Enumerable.Range(0, ways.Count).ToArray();
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        foreach (var list in endpoints.Values)
        {
            var walkable = list.Where(k => tags[k].Walkable).ToList();
            for (var k = 1; k < walkable.Count; k++) parent[Find(walkable[k])] = Find(walkable[0]);
        }
        var walkableWays = Enumerable.Range(0, ways.Count).Where(k => tags[k].Walkable).ToList();
        var largest = walkableWays.GroupBy(Find).Max(g => g.Count());
        Assert.True(largest >= 0.99 * walkableWays.Count, $"largest walkable component has {largest} of {walkableWays.Count} ways");

        // Without the footbridge, the river splits the walking network.
        var bridgeIndex = ways.ToList().IndexOf(bridge);
        parent = Enumerable.Range(0, ways.Count).ToArray();
        foreach (var list in endpoints.Values)
        {
            var walkable = list.Where(k => tags[k].Walkable && k != bridgeIndex).ToList();
            for (var k = 1; k < walkable.Count; k++) parent[Find(walkable[k])] = Find(walkable[0]);
        }
        Assert.True(walkableWays.Where(k => k != bridgeIndex).GroupBy(Find).Count(g => g.Count() > 50) >= 2);
    }

    [Fact]
    public void Scale_grows_the_district_outward()
    {
        var small = SampleCityGenerator.Generate(scale: 0.25);
        var big = SampleCityGenerator.Generate(scale: 2);
        int Count(SampleCity c, Model.Layer l) => c.Features(l).Count;
        Assert.True(Count(big, Model.Layer.Buildings) > 1.6 * Count(City, Model.Layer.Buildings));
        Assert.True(Count(small, Model.Layer.Buildings) < 0.5 * Count(City, Model.Layer.Buildings));
        Assert.Equal(6, Count(big, Model.Layer.Streets));
        Assert.True(Count(big, Model.Layer.Stations) > Count(City, Model.Layer.Stations));
        var centre = new Coordinate(106.83, 27.54);
        Assert.True(big.Features(Model.Layer.Districts)[0].Geometry.Contains(GeometryRules.Factory.CreatePoint(centre)));
        Assert.True(big.Features(Model.Layer.Districts)[0].Geometry.Area > 1.8 * City.Features(Model.Layer.Districts)[0].Geometry.Area);
    }
}
