using GridMap.Core.Estimation;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>One test per rule of domain.md's "Which buildings are residential": tags, name, shape in → households and rule out.</summary>
public class BuildingClassifierTests
{
    static readonly BuildingClassifier Classifier = new(new EstimationOptions());
    static readonly GeometryFactory Metric = new();

    /// <summary>The shape of a w × d metre rectangle.</summary>
    static FootprintShape Box(double w, double d) => FootprintShape.Of(Metric.ToGeometry(new Envelope(0, w, 0, d)))!;

    /// <summary>An L of two 12 m deep wings: not one rectangle, still housing-like.</summary>
    static FootprintShape Ell() => FootprintShape.Of(Metric.CreatePolygon([new(0, 0), new(60, 0), new(60, 12), new(12, 12), new(12, 40), new(0, 40), new(0, 0)]))!;

    static Dictionary<string, string> Tags(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);

    static BuildingEstimate Yes(FootprintShape? shape = null, string? name = null, int? levels = null,
        Dictionary<string, string>? tags = null, Dictionary<string, string>[]? pois = null, bool compound = false, bool land = false) =>
        Classifier.Estimate(new BuildingEvidence("yes", name, levels, null, shape, tags, pois, compound, land));

    [Fact]
    public void A_slab_12_m_deep_and_60_m_long_is_housing() =>
        Assert.Equal(new BuildingEstimate(36, HouseholdRules.SlabShape), Yes(Box(60, 12))); // 720 m² × 6 × 0.75 ÷ 90

    [Fact]
    public void A_deep_block_is_not_housing_without_other_evidence() =>
        Assert.Equal(HouseholdRules.NoEvidence, Yes(Box(60, 40)).Rule);

    [Fact]
    public void A_small_shed_is_not_housing() =>
        Assert.Equal(0, Yes(Box(12, 8)).Households);

    [Fact]
    public void A_point_tower_with_18_known_levels_is_housing()
    {
        var e = Yes(Box(25, 22), levels: 18);
        Assert.Equal(HouseholdRules.TowerShape, e.Rule);
        Assert.Equal(83, e.Households); // 550 × 18 × 0.75 ÷ 90 = 82.5
        Assert.Equal(HouseholdRules.NoEvidence, Yes(Box(25, 22)).Rule); // without levels a square block could be anything
    }

    [Theory]
    [InlineData("shop=supermarket")]
    [InlineData("amenity=restaurant")]
    [InlineData("office=company")]
    [InlineData("tourism=hotel")]
    public void Its_own_tags_say_it_is_not_housing(string tag) =>
        Assert.Equal(new BuildingEstimate(0, HouseholdRules.NonResidentialTags), Yes(Box(60, 12), tags: Tags(tag)));

    [Fact]
    public void A_harmless_tag_does_not() =>
        Assert.Equal(HouseholdRules.SlabShape, Yes(Box(60, 12), tags: Tags("amenity=parking_entrance")).Rule);

    [Theory]
    [InlineData("锦江宾馆")]
    [InlineData("市委招待所")]
    [InlineData("第二食堂")]
    [InlineData("四川博物馆")]
    [InlineData("成都银行")]
    [InlineData("社区服务中心")]
    [InlineData("Jinjiang Hotel")]
    public void A_name_that_says_otherwise_wins_over_shape_and_compound(string name) =>
        Assert.Equal(new BuildingEstimate(0, HouseholdRules.NonResidentialName), Yes(Box(60, 12), name, compound: true));

    [Theory]
    [InlineData("锦绣花园")]
    [InlineData("白莲小区")]
    [InlineData("红星新村")]
    [InlineData("望江家园")]
    [InlineData("3栋")]
    [InlineData("12号楼")]
    [InlineData("七幢")]
    [InlineData("Jin Fu Garden")]
    public void A_residential_name_makes_it_housing(string name) =>
        Assert.Equal(HouseholdRules.ResidentialName, Yes(Box(60, 40), name).Rule);

    [Theory]
    [InlineData("医院职工宿舍")]
    [InlineData("学校家属楼")]
    public void A_dormitory_of_a_hospital_or_school_is_housing(string name) =>
        Assert.Equal(HouseholdRules.ResidentialName, Yes(Box(60, 12), name).Rule);

    [Fact]
    public void A_named_high_rise_is_housing_unless_its_name_says_otherwise()
    {
        Assert.Equal(HouseholdRules.NamedHighRise, Yes(Box(70, 57), "在水一方", levels: 13).Rule);
        Assert.Equal(HouseholdRules.NonResidentialName, Yes(Box(70, 57), "国光大厦", levels: 13).Rule);
    }

    [Fact]
    public void A_hotel_inside_a_building_makes_it_not_housing()
    {
        var hotel = Tags("tourism=hotel", "name=如家");
        Assert.Equal(new BuildingEstimate(0, HouseholdRules.NonResidentialPoi), Yes(Box(60, 12), pois: [hotel], compound: true));
        // A ground-floor shop (底商) under flats does not.
        Assert.Equal(HouseholdRules.SlabShape, Yes(Box(60, 12), pois: [Tags("shop=convenience")]).Rule);
    }

    [Fact]
    public void Inside_a_residential_compound_an_untyped_building_is_housing() =>
        Assert.Equal(new BuildingEstimate(20, HouseholdRules.InsideCompound), Yes(Box(20, 20), compound: true)); // 400 × 6 × .75 ÷ 90

    [Fact]
    public void On_a_campus_or_business_land_an_untyped_slab_is_not_housing()
    {
        Assert.Equal(new BuildingEstimate(0, HouseholdRules.NonResidentialLand), Yes(Box(60, 12), land: true));
        Assert.Equal(HouseholdRules.ResidentialName, Yes(Box(60, 12), "教工宿舍", land: true).Rule);
    }

    [Fact]
    public void A_part_of_housing_is_small_and_named_as_a_part_or_not_at_all()
    {
        static BuildingEstimate Attached(FootprintShape shape, string? name = null, bool land = false) =>
            Classifier.Estimate(new BuildingEvidence("yes", name, Shape: shape, InsideNonResidentialLand: land, AttachedToHousing: true));
        Assert.Equal(new BuildingEstimate(4, HouseholdRules.AttachedPart), Attached(Box(12, 6), "盥洗室", land: true)); // 72 × 6 × .75 ÷ 90
        Assert.Equal(HouseholdRules.NonResidentialName, Attached(Box(12, 6), "便利超市").Rule);                           // a use's name wins
        Assert.Equal(HouseholdRules.NoEvidence, Attached(Box(20, 15)).Rule);                                             // 300 m²: a block of its own
    }

    [Fact]
    public void Among_housing_only_a_named_building_that_nothing_else_decided_is_housing()
    {
        static BuildingEstimate Among(string? name, bool land = false) =>
            Classifier.Estimate(new BuildingEvidence("yes", name, Shape: Box(60, 40), InsideNonResidentialLand: land, AmongHousing: true));
        Assert.Equal(new BuildingEstimate(120, HouseholdRules.NamedAmongHousing), Among("旭和倾城")); // 2,400 × 6 × .75 ÷ 90
        Assert.Equal(HouseholdRules.NoEvidence, Among(null).Rule);
        Assert.Equal(HouseholdRules.NonResidentialName, Among("锦城大厦").Rule);
        Assert.Equal(HouseholdRules.NonResidentialLand, Among("逸夫楼", land: true).Rule);
    }

    [Fact]
    public void An_l_shaped_housing_block_is_judged_by_its_rectangle()
    {
        var shape = Ell();
        Assert.True(shape.Rectangularity < 0.65);
        Assert.Equal(HouseholdRules.NoEvidence, Yes(shape).Rule);
        var loose = new BuildingClassifier(new EstimationOptions { HousingMinRectangularity = 0.3, SlabMaxDepthM = 45 });
        Assert.Equal(HouseholdRules.SlabShape, loose.Estimate(new BuildingEvidence("yes", Shape: shape)).Rule);
    }

    [Fact]
    public void Villas_by_type_or_name_hold_one()
    {
        Assert.Equal(new BuildingEstimate(1, HouseholdRules.Villa), Classifier.Estimate(new BuildingEvidence("villa", Shape: Box(30, 20))));
        Assert.Equal(new BuildingEstimate(1, HouseholdRules.Villa), Yes(Box(30, 20), "麓山别墅12号"));
    }

    [Fact]
    public void A_house_up_to_300_m2_holds_one_and_a_larger_one_is_judged_on_evidence()
    {
        Assert.Equal(new BuildingEstimate(1, HouseholdRules.SmallHouse), Classifier.Estimate(new BuildingEvidence("house", Shape: Box(20, 15))));
        // The 16,000 m² "house" that is a supermarket in Chengdu.
        Assert.Equal(0, Classifier.Estimate(new BuildingEvidence("house", "家乐福", Shape: Box(160, 100))).Households);
        Assert.Equal(HouseholdRules.SlabShape, Classifier.Estimate(new BuildingEvidence("house", Shape: Box(60, 12))).Rule);
    }

    [Fact]
    public void An_estate_outline_mapped_as_one_building_is_counted_by_density()
    {
        // 140 × 140 m "building=residential" with no levels: 1.96 ha × 180, not 19,600 m² × 6 floors.
        var e = Classifier.Estimate(new BuildingEvidence("residential", "西府少城", Shape: Box(140, 140)));
        Assert.Equal(new BuildingEstimate(353, HouseholdRules.EstateOutline), e);
    }

    [Fact]
    public void Typed_buildings_keep_their_type()
    {
        Assert.Equal(HouseholdRules.ResidentialType, Classifier.Estimate(new BuildingEvidence("apartments", "万达广场", Shape: Box(60, 40))).Rule);
        Assert.Equal(new BuildingEstimate(0, HouseholdRules.NonResidentialType), Classifier.Estimate(new BuildingEvidence("commercial", "锦绣花园", Shape: Box(60, 12))));
    }
}
