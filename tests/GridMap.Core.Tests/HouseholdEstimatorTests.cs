using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

public class HouseholdEstimatorTests
{
    static readonly HouseholdEstimator Estimator = new();

    // --- single buildings ---

    [Fact]
    public void Apartments_400m2_6_levels_hold_20_households() =>
        Assert.Equal(20, Estimator.EstimateBuilding(400, 6, null, "apartments", false)); // 400 × 6 × 0.75 ÷ 90 = 20

    [Fact]
    public void Apartments_without_levels_use_11() =>
        Assert.Equal(37, Estimator.EstimateBuilding(400, null, null, "apartments", false)); // 400 × 11 × 0.75 ÷ 90 = 36.7

    [Fact]
    public void Residential_and_dormitory_without_levels_use_6()
    {
        Assert.Equal(20, Estimator.EstimateBuilding(400, null, null, "residential", false));
        Assert.Equal(20, Estimator.EstimateBuilding(400, null, null, "dormitory", false));
    }

    [Fact]
    public void Height_gives_levels_at_3_m_each() =>
        Assert.Equal(15, Estimator.EstimateBuilding(300, null, 18, "residential", false)); // 18 m → 6 levels; 300 × 6 × 0.75 ÷ 90 = 15

    [Fact]
    public void Levels_win_over_height() =>
        Assert.Equal(5, Estimator.EstimateBuilding(300, 2, 60, "residential", false)); // 300 × 2 × 0.75 ÷ 90 = 5

    [Theory]
    [InlineData("commercial")]
    [InlineData("retail")]
    [InlineData("office")]
    [InlineData("industrial")]
    [InlineData("school")]
    [InlineData("hospital")]
    [InlineData("university")]
    [InlineData("garage")]
    public void Non_residential_buildings_hold_none(string type)
    {
        Assert.Equal(0, Estimator.EstimateBuilding(400, 6, null, type, false));
        Assert.Equal(0, Estimator.EstimateBuilding(400, 6, null, type, true));
    }

    [Theory]
    [InlineData("house", 200)]
    [InlineData("detached", 200)]
    [InlineData("villa", 900)]
    [InlineData("semidetached_house", 150)]
    public void Villas_and_small_houses_hold_one_household(string type, double footprint) =>
        Assert.Equal(1, Estimator.EstimateBuilding(footprint, 2, null, type, false));

    [Fact]
    public void A_terrace_holds_one_household_per_120_m2_of_floor() =>
        Assert.Equal(5, Estimator.EstimateBuilding(200, null, null, "terrace", false)); // 200 × 3 ÷ 120 = 5

    [Fact]
    public void Building_yes_is_residential_only_inside_a_residential_compound()
    {
        Assert.Equal(5, Estimator.EstimateBuilding(100, null, null, "yes", true)); // 100 × 6 × 0.75 ÷ 90 = 5
        Assert.Equal(0, Estimator.EstimateBuilding(100, null, null, "yes", false));
        Assert.Equal(5, Estimator.EstimateBuilding(100, null, null, null, true));
    }

    [Fact]
    public void A_residential_building_holds_at_least_one() =>
        Assert.Equal(1, Estimator.EstimateBuilding(10, 1, null, "residential", false));

    [Fact]
    public void Options_change_the_result()
    {
        var small = new HouseholdEstimator(new EstimationOptions { DwellingSizeM2 = 60 });
        Assert.Equal(30, small.EstimateBuilding(400, 6, null, "apartments", false)); // 400 × 6 × 0.75 ÷ 60

        var tall = new HouseholdEstimator(new EstimationOptions
        {
            DefaultLevels = new Dictionary<string, int> { ["apartments"] = 18 },
            UsableShare = 0.9,
        });
        Assert.Equal(72, tall.EstimateBuilding(400, null, null, "apartments", false)); // 400 × 18 × 0.9 ÷ 90

        var dense = new HouseholdEstimator(new EstimationOptions
        {
            CompoundDensityPerHa = new Dictionary<string, double> { [CompoundClasses.Old] = 150 },
        });
        Assert.Equal(300, dense.EstimateCompound(20_000, CompoundClasses.Old));

        var strict = new HouseholdEstimator(new EstimationOptions { UnknownInsideCompoundIsResidential = false });
        Assert.Equal(0, strict.EstimateBuilding(100, null, null, "yes", true));

        var bigHouses = new HouseholdEstimator(new EstimationOptions { HouseMaxFootprintM2 = 1000 });
        Assert.Equal(1, bigHouses.EstimateBuilding(800, null, null, "house", false));
        Assert.Equal(0, Estimator.EstimateBuilding(800, null, null, "house", false)); // judged on evidence: none here
    }

    // --- compounds ---

    [Theory]
    [InlineData(CompoundClasses.Old, 220)]
    [InlineData(CompoundClasses.CommercialResidential, 400)]
    [InlineData(CompoundClasses.CommercialHousing, 360)]
    [InlineData(CompoundClasses.Affordable, 440)]
    [InlineData(CompoundClasses.Resettlement, 320)]
    [InlineData(CompoundClasses.WorkUnit, 240)]
    [InlineData(CompoundClasses.SelfBuilt, 180)]
    [InlineData(CompoundClasses.UrbanRuralFringe, 120)]
    [InlineData(CompoundClasses.ElderlyCare, 120)]
    [InlineData(CompoundClasses.Other, 200)]
    [InlineData("no_such_class", 200)]
    public void Compound_of_2_ha_by_class(string cls, int expected) =>
        Assert.Equal(expected, Estimator.EstimateCompound(20_000, cls));

    // --- FillMissing over an import ---

    static readonly MetricProjection Zone = MetricProjection.ForLongitude(104.08);
    static readonly Coordinate Origin = Zone.Project(new Coordinate(104.08, 30.69));
    static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>A lon/lat rectangle of w × h metres whose south-west corner is (x, y) metres from the origin.</summary>
    static Polygon Rect(double x, double y, double w, double h)
    {
        var metric = Factory.CreatePolygon(
        [
            new(Origin.X + x, Origin.Y + y), new(Origin.X + x + w, Origin.Y + y), new(Origin.X + x + w, Origin.Y + y + h),
            new(Origin.X + x, Origin.Y + y + h), new(Origin.X + x, Origin.Y + y),
        ]);
        return Zone.Unproject(metric);
    }

    static Point PointAt(double x, double y) => Factory.CreatePoint(Zone.Unproject(new Coordinate(Origin.X + x, Origin.Y + y)));

    static FeatureDraft Draft(string id, Geometry g, JsonObject props) => new(id, g, props);

    static (IReadOnlyList<LayerBatch> Input, IReadOnlyList<LayerBatch> Output) Fill()
    {
        var compounds = new LayerBatch(Layer.Compounds,
        [
            Draft("c-empty", Rect(0, 0, 200, 100), new JsonObject { ["name"] = "老旧小区", ["class"] = "old" }),          // 2 ha, no buildings
            Draft("c-two", Rect(1000, 0, 200, 200), new JsonObject { ["name"] = "两栋花园", ["class"] = "commercial_housing" }),
            Draft("c-given", Rect(2000, 0, 100, 100), new JsonObject { ["households"] = 321 }),
            Draft("c-shops", Rect(3000, 0, 100, 100), new JsonObject { ["class"] = "work_unit" }),                   // 1 ha, shops only
        ]);
        var buildings = new LayerBatch(Layer.Buildings,
        [
            Draft("b-outside-com", Rect(500, 0, 20, 20), new JsonObject { ["building"] = "commercial" }),
            Draft("b-a", Rect(1010, 10, 20, 20), new JsonObject { ["building"] = "apartments", ["levels"] = 6 }),     // 20
            Draft("b-b", Rect(1100, 100, 20, 20), new JsonObject { ["building"] = "yes" }),                           // 400 × 6 × .75 ÷ 90 = 20
            Draft("b-given", Rect(1150, 150, 10, 10), new JsonObject { ["building"] = "residential", ["households"] = 7 }),
            Draft("b-yes-out", Rect(600, 0, 20, 20), new JsonObject { ["building"] = "yes" }),                         // 0
            Draft("b-point-res", PointAt(700, 0), new JsonObject { ["building"] = "house" }),                         // 1
            Draft("b-point-shop", PointAt(710, 0), new JsonObject { ["building"] = "retail" }),                       // 0
            Draft("b-shop-in", Rect(3010, 10, 20, 20), new JsonObject { ["building"] = "retail", ["levels"] = 3 }),  // 0
            Draft("b-has-compound", Rect(1050, 50, 20, 20), new JsonObject { ["building"] = "house", ["levels"] = 2, ["compound"] = "elsewhere" }), // 800 ÷ 120 = 7
        ]);
        var stations = new LayerBatch(Layer.Stations, [Draft("s1", PointAt(0, 0), new JsonObject { ["kind"] = "clinic" })]);
        IReadOnlyList<LayerBatch> input = [stations, buildings, compounds];
        return (input, Estimator.FillMissing(input));
    }

    static JsonObject Props(IReadOnlyList<LayerBatch> batches, Layer layer, string id) =>
        batches.Single(b => b.Layer == layer).Features.Single(f => f.Id == id).Properties;

    static int? Households(IReadOnlyList<LayerBatch> batches, Layer layer, string id) =>
        Props(batches, layer, id)["households"]?.GetValue<int>();

    static bool? Estimated(IReadOnlyList<LayerBatch> batches, Layer layer, string id) =>
        Props(batches, layer, id)["households_estimated"]?.GetValue<bool>();

    [Fact]
    public void Buildings_are_estimated_by_type_levels_and_compound()
    {
        var (_, output) = Fill();
        Assert.Equal(0, Households(output, Layer.Buildings, "b-outside-com"));
        Assert.Equal(20, Households(output, Layer.Buildings, "b-a"));
        Assert.Equal(20, Households(output, Layer.Buildings, "b-b"));
        Assert.Equal(7, Households(output, Layer.Buildings, "b-given"));
        Assert.Equal(0, Households(output, Layer.Buildings, "b-yes-out"));
        Assert.Equal(1, Households(output, Layer.Buildings, "b-point-res"));   // a house: one household
        Assert.Equal(0, Households(output, Layer.Buildings, "b-point-shop"));
        Assert.Equal(0, Households(output, Layer.Buildings, "b-shop-in"));
        Assert.Equal(7, Households(output, Layer.Buildings, "b-has-compound"));
    }

    [Fact]
    public void Compounds_get_the_sum_of_their_buildings_else_area_times_density()
    {
        var (_, output) = Fill();
        Assert.Equal(220, Households(output, Layer.Compounds, "c-empty"));   // 2 ha × 110
        // 20 + 20 + 7 = 47 from buildings covering 900 m² of 4 ha (2 %): too sparsely mapped, so 4 ha × 180 stands,
        // and the 673 its buildings do not hold are its remainder's.
        Assert.Equal(720, Households(output, Layer.Compounds, "c-two"));
        Assert.Equal(673, Households(output, Layer.Buildings, HouseholdEstimator.RemainderId("c-two")));
        Assert.Equal(321, Households(output, Layer.Compounds, "c-given"));
        Assert.Equal(120, Households(output, Layer.Compounds, "c-shops"));   // only non-residential inside: 1 ha × 120
    }

    [Fact]
    public void A_well_mapped_compound_gets_the_sum_of_its_buildings()
    {
        // 40 × 40 m compound, 20 × 20 m six-storey apartments: 25 % covered → the sum (20), not 0.16 ha × 180 = 29.
        var input = new[]
        {
            new LayerBatch(Layer.Compounds, [Draft("c", Rect(0, 0, 40, 40), new JsonObject { ["class"] = "commercial_housing" })]),
            new LayerBatch(Layer.Buildings, [Draft("b", Rect(10, 10, 20, 20), new JsonObject { ["building"] = "apartments", ["levels"] = 6 })]),
        };
        Assert.Equal(20, Households(Estimator.FillMissing(input), Layer.Compounds, "c"));
        var strict = new HouseholdEstimator(new EstimationOptions { MinMappedFootprintShare = 0.5 });
        Assert.Equal(29, Households(strict.FillMissing(input), Layer.Compounds, "c"));
    }

    [Fact]
    public void The_flag_is_set_on_estimates_only()
    {
        var (_, output) = Fill();
        Assert.True(Estimated(output, Layer.Buildings, "b-a"));
        Assert.True(Estimated(output, Layer.Buildings, "b-outside-com"));
        Assert.True(Estimated(output, Layer.Buildings, "b-point-res"));
        Assert.False(Estimated(output, Layer.Buildings, "b-given"));
        Assert.True(Estimated(output, Layer.Compounds, "c-empty"));
        Assert.True(Estimated(output, Layer.Compounds, "c-two"));
        Assert.False(Estimated(output, Layer.Compounds, "c-given"));
        Assert.Null(Props(output, Layer.Stations, "s1")["households_estimated"]);
    }

    [Fact]
    public void A_given_flag_is_kept()
    {
        var input = new LayerBatch(Layer.Buildings,
            [Draft("b", Rect(0, 0, 10, 10), new JsonObject { ["households"] = 12, ["households_estimated"] = true })]);
        var output = Estimator.FillMissing([input]);
        Assert.Equal(12, Households(output, Layer.Buildings, "b"));
        Assert.True(Estimated(output, Layer.Buildings, "b"));
    }

    [Fact]
    public void Buildings_get_the_compound_containing_their_centroid_when_absent()
    {
        var (_, output) = Fill();
        Assert.Equal("c-two", Props(output, Layer.Buildings, "b-a")["compound"]?.GetValue<string>());
        Assert.Equal("c-shops", Props(output, Layer.Buildings, "b-shop-in")["compound"]?.GetValue<string>());
        Assert.Null(Props(output, Layer.Buildings, "b-outside-com")["compound"]);
        Assert.Equal("elsewhere", Props(output, Layer.Buildings, "b-has-compound")["compound"]?.GetValue<string>());
    }

    [Fact]
    public void The_input_is_left_alone_and_the_order_kept()
    {
        var (input, output) = Fill();
        Assert.Equal(input.Select(b => b.Layer), output.Select(b => b.Layer));
        for (var i = 0; i < input.Count; i++)
        {
            // The buildings batch gains the compounds' remainders at its end.
            var ids = output[i].Features.Select(f => f.Id).Where(id => !id.StartsWith("remainder-", StringComparison.Ordinal));
            Assert.Equal(input[i].Features.Select(f => f.Id), ids);
        }
        foreach (var f in input.SelectMany(b => b.Features))
        {
            Assert.Null(f.Properties["households_estimated"]);
            if (f.Id is not ("b-given" or "c-given")) Assert.Null(f.Properties["households"]);
        }
        Assert.Null(Props(input, Layer.Buildings, "b-a")["compound"]);
        var inputBuilding = input[1].Features[1];
        var outputBuilding = output[1].Features[1];
        Assert.NotSame(inputBuilding.Properties, outputBuilding.Properties);
    }

    // --- one total: mapped buildings + remainder = compound ---

    [Fact]
    public void Every_compound_holds_exactly_its_buildings_and_its_remainder()
    {
        var (_, output) = Fill();
        var buildings = output.Single(b => b.Layer == Layer.Buildings).Features;
        foreach (var c in output.Single(b => b.Layer == Layer.Compounds).Features)
        {
            var held = buildings.Where(b => b.Properties["compound"]?.GetValue<string>() == c.Id).Sum(b => b.Properties["households"]!.GetValue<int>());
            Assert.Equal(c.Properties["households"]!.GetValue<int>(), held);
        }
        var remainder = Props(output, Layer.Buildings, HouseholdEstimator.RemainderId("c-empty"));
        Assert.Equal(HouseholdRules.CompoundRemainder, remainder["households_rule"]!.GetValue<string>());
        Assert.Equal(220, remainder["households"]!.GetValue<int>());
        Assert.Equal(HouseholdRules.AreaDensity, Props(output, Layer.Compounds, "c-empty")["households_rule"]!.GetValue<string>());
        Assert.Equal(HouseholdRules.Given, Props(output, Layer.Compounds, "c-given")["households_rule"]!.GetValue<string>());
    }

    [Fact]
    public void A_remainder_lies_in_the_compounds_unmapped_land()
    {
        var (_, output) = Fill();
        var compound = output.Single(b => b.Layer == Layer.Compounds).Features.Single(f => f.Id == "c-two").Geometry;
        var remainder = output.Single(b => b.Layer == Layer.Buildings).Features.Single(f => f.Id == HouseholdEstimator.RemainderId("c-two"));
        var mapped = Rect(1010, 10, 20, 20);
        Assert.True(remainder.Geometry is Polygon or MultiPolygon);
        Assert.True(compound.Buffer(1e-7).Covers(remainder.Geometry));
        Assert.True(remainder.Geometry.Intersection(mapped).Area < mapped.Area * 0.01, "the remainder keeps off mapped footprints");
        Assert.True(remainder.Geometry.Area > compound.Area * 0.9);
    }

    [Fact]
    public void A_well_mapped_compound_has_no_remainder()
    {
        var input = new[]
        {
            new LayerBatch(Layer.Compounds, [Draft("c", Rect(0, 0, 40, 40), new JsonObject { ["class"] = "commercial_housing" })]),
            new LayerBatch(Layer.Buildings, [Draft("b", Rect(10, 10, 20, 20), new JsonObject { ["building"] = "apartments", ["levels"] = 6 })]),
        };
        var output = Estimator.FillMissing(input);
        Assert.Single(output.Single(b => b.Layer == Layer.Buildings).Features);
        Assert.Equal(HouseholdRules.BuildingsSum, Props(output, Layer.Compounds, "c")["households_rule"]!.GetValue<string>());
    }

    [Fact]
    public void Buildings_imported_alone_are_estimated_within_the_stored_compounds_and_recount_them()
    {
        // The store holds a 2 ha old compound estimated at 220, all in its remainder.
        var first = Estimator.FillMissing([new LayerBatch(Layer.Compounds, [Draft("c", Rect(0, 0, 200, 100), new JsonObject { ["class"] = "old" })])]);
        var storedCompound = first.Single(b => b.Layer == Layer.Compounds).Features.Single();
        var storedRemainder = first.Single(b => b.Layer == Layer.Buildings).Features.Single();
        Assert.Equal(220, storedRemainder.Properties["households"]!.GetValue<int>());

        // Then a building=yes inside it comes on its own: residential because of the compound, and the compound recounted.
        var context = new EstimationContext { StoredCompounds = [storedCompound], StoredBuildings = [storedRemainder] };
        var result = Estimator.Estimate([new LayerBatch(Layer.Buildings, [Draft("b", Rect(10, 10, 40, 15), new JsonObject { ["building"] = "yes" })])], context);
        var buildings = result.Batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).ToList();
        var b = buildings.Single(f => f.Id == "b");
        Assert.Equal("c", b.Properties["compound"]!.GetValue<string>());
        Assert.Equal(HouseholdRules.InsideCompound, b.Properties["households_rule"]!.GetValue<string>());
        Assert.Equal(30, b.Properties["households"]!.GetValue<int>()); // 600 m² × 6 × 0.75 ÷ 90
        var remainder = buildings.Single(f => f.Id == HouseholdEstimator.RemainderId("c"));
        Assert.Equal(190, remainder.Properties["households"]!.GetValue<int>());
        // Its total (220) is unchanged, so the compound itself is not rewritten.
        Assert.DoesNotContain(result.Batches, x => x.Layer == Layer.Compounds);
    }

    [Fact]
    public void A_compound_whose_buildings_come_to_cover_it_loses_its_remainder()
    {
        var first = Estimator.FillMissing([new LayerBatch(Layer.Compounds, [Draft("c", Rect(0, 0, 40, 40), new JsonObject { ["class"] = "old" })])]);
        var context = new EstimationContext
        {
            StoredCompounds = [first.Single(b => b.Layer == Layer.Compounds).Features.Single()],
            StoredBuildings = [first.Single(b => b.Layer == Layer.Buildings).Features.Single()],
        };
        var result = Estimator.Estimate([new LayerBatch(Layer.Buildings, [Draft("b", Rect(5, 5, 30, 12), new JsonObject { ["building"] = "residential" })])], context);
        Assert.Equal([HouseholdEstimator.RemainderId("c")], result.RemovedRemainders);
        Assert.Equal(HouseholdRules.BuildingsSum, result.Batches.Single(x => x.Layer == Layer.Compounds).Features.Single().Properties["households_rule"]!.GetValue<string>());
    }

    // --- the company a building keeps ---

    static (int? Households, string? Rule) Judged(IReadOnlyList<LayerBatch> output, string id)
    {
        var props = Props(output, Layer.Buildings, id);
        return (props["households"]?.GetValue<int>(), props["households_rule"]?.GetValue<string>());
    }

    static JsonObject Yes(string? name = null) => name is null ? new() { ["building"] = "yes" } : new() { ["building"] = "yes", ["name"] = name };

    [Fact]
    public void Small_buildings_sharing_a_wall_with_housing_are_parts_of_that_block()
    {
        // A dormitory slab; a 3 × 5 m corridor against its north wall; a washroom wing against the corridor only, clear
        // of the dormitory (as on the UESTC Shahe campus). Elsewhere the same washroom alone, and a shed touching the
        // dormitory at a corner.
        var shop = new Dictionary<string, string> { ["building"] = "yes", ["shop"] = "convenience" };
        var context = new EstimationContext { BuildingTags = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["shop-wing"] = shop } };
        var output = Estimator.Estimate([new LayerBatch(Layer.Buildings,
        [
            Draft("dorm", Rect(0, 0, 60, 12), Yes("学生宿舍13栋")),
            Draft("corridor", Rect(20, 12, 3, 5), Yes("过道")),
            Draft("washroom", Rect(15, 17, 12, 6), Yes("盥洗室")),
            Draft("annex", Rect(40, 12, 10, 8), Yes()),
            Draft("corner-shed", Rect(60, 12, 8, 8), Yes()),
            Draft("shop-wing", Rect(0, -8, 10, 8), Yes()),
            Draft("washroom-alone", Rect(200, 0, 12, 6), Yes("盥洗室")),
        ])], context).Batches;
        Assert.Equal((1, HouseholdRules.AttachedPart), Judged(output, "corridor"));    // 15 m² × 6 × 0.75 ÷ 90, at least 1
        Assert.Equal((4, HouseholdRules.AttachedPart), Judged(output, "washroom"));    // 72 m² × 6 × 0.75 ÷ 90 = 3.6
        Assert.Equal((4, HouseholdRules.AttachedPart), Judged(output, "annex"));       // unnamed: 80 m² → 4
        Assert.Equal((0, HouseholdRules.NoEvidence), Judged(output, "corner-shed"));
        Assert.Equal((0, HouseholdRules.NonResidentialTags), Judged(output, "shop-wing"));
        Assert.Equal((0, HouseholdRules.NonResidentialName), Judged(output, "washroom-alone"));
    }

    [Fact]
    public void A_named_building_among_housing_is_housing()
    {
        // Three housing slabs around a 40 × 60 m block named after its estate; the same block with one slab near it,
        // and a 大厦 among the slabs.
        var slabs = new[] { Rect(0, 0, 60, 12), Rect(0, 30, 60, 12), Rect(0, 60, 60, 12) }
            .Select((g, i) => Draft($"slab{i}", g, Yes())).ToList();
        var output = Estimator.FillMissing([new LayerBatch(Layer.Buildings,
        [
            .. slabs,
            Draft("estate", Rect(80, 0, 40, 60), Yes("旭和倾城")),
            Draft("office", Rect(80, 70, 40, 30), Yes("锦城大厦")),
            Draft("unnamed", Rect(-60, 0, 40, 60), Yes()),
            Draft("alone-slab", Rect(1000, 0, 60, 12), Yes()),
            Draft("alone", Rect(1080, 0, 40, 60), Yes("旭和倾城")),
        ])]);
        Assert.Equal(HouseholdRules.SlabShape, Judged(output, "slab0").Rule);
        Assert.Equal((120, HouseholdRules.NamedAmongHousing), Judged(output, "estate")); // 2,400 m² × 6 × 0.75 ÷ 90
        Assert.Equal((0, HouseholdRules.NonResidentialName), Judged(output, "office"));
        Assert.Equal((0, HouseholdRules.NoEvidence), Judged(output, "unnamed"));
        Assert.Equal((0, HouseholdRules.NoEvidence), Judged(output, "alone"));
    }

    [Fact]
    public void Large_buildings_without_stairwells_get_synthesised_ones_of_about_50()
    {
        var input = new LayerBatch(Layer.Buildings, [Draft("tower", PointAt(0, 0), new JsonObject { ["households"] = 533 })]);
        var props = Estimator.FillMissing([input])[0].Features[0].Properties;
        var units = props["units"]!.AsArray();
        Assert.Equal(11, units.Count);
        Assert.Equal(533, units.Sum(u => u!["households"]!.GetValue<int>()));
        Assert.True(props["units_synthesised"]!.GetValue<bool>());
        Assert.All(units, u => Assert.InRange(u!["households"]!.GetValue<int>(), 48, 49));
    }
}
