using GridMap.Core.Estimation;

namespace GridMap.Core.Tests;

public class EstimationOptionsJsonTests
{
    [Fact]
    public void Numbers_sets_and_dictionaries_are_read_and_dictionaries_merge_with_the_defaults()
    {
        var o = EstimationOptionsJson.Parse("""
            { "DwellingSizeM2": 100, "residential_types": ["apartments", "residential", "dormitory", "yes"],
              "DefaultLevels": { "apartments": 18 }, "CompoundDensityPerHa": { "old": 150 }, "NamedHighRiseIsResidential": false }
            """);
        Assert.Equal(100, o.DwellingSizeM2);
        Assert.Contains("yes", o.ResidentialTypes);
        Assert.Contains("YES", o.ResidentialTypes); // case-insensitive like the defaults
        Assert.Equal(18, o.DefaultLevels["apartments"]);
        Assert.Equal(6, o.DefaultLevels["residential"]); // merged, not replaced
        Assert.Equal(150, o.CompoundDensityPerHa["old"]);
        Assert.Equal(200, o.CompoundDensityPerHa["commercial_residential"]);
        Assert.False(o.NamedHighRiseIsResidential);
        Assert.Equal(0.75, o.UsableShare);
        // Defaults are untouched.
        Assert.Equal(11, EstimationOptions.Default.DefaultLevels["apartments"]);
    }

    [Fact]
    public void A_set_of_residential_types_changes_the_estimate()
    {
        var o = EstimationOptionsJson.Parse("""{ "ResidentialTypes": ["yes"] }""");
        Assert.Equal(5, new HouseholdEstimator(o).EstimateBuilding(100, null, null, "yes", false));
    }

    [Fact]
    public void The_company_rules_are_read_too()
    {
        var o = EstimationOptionsJson.Parse("""
            { "attached_part_max_footprint_m2": 120, "BuildingPartNameWords": ["过道"], "NamedAmongHousingMinNeighbours": 5,
              "NamedAmongHousingRadiusM": 80, "NamedAmongHousingMinShare": 0.75, "SharedWallToleranceM": 1, "AttachedPartMinSharedWallM": 3 }
            """);
        Assert.Equal((120, 5, 80, 0.75, 1, 3), (o.AttachedPartMaxFootprintM2, o.NamedAmongHousingMinNeighbours, o.NamedAmongHousingRadiusM,
            o.NamedAmongHousingMinShare, o.SharedWallToleranceM, o.AttachedPartMinSharedWallM));
        Assert.Equal(["过道"], o.BuildingPartNameWords);
    }

    [Theory]
    [InlineData("""{ "DwellingSize": 100 }""", "unknown option 'DwellingSize'")]
    [InlineData("""{ "DwellingSizeM2": "big" }""", "option 'DwellingSizeM2'")]
    [InlineData("""{ "ResidentialTypes": "yes" }""", "option 'ResidentialTypes': must be a list")]
    [InlineData("""{ "DefaultLevels": [1] }""", "option 'DefaultLevels': must be an object")]
    [InlineData("""{ "NumberedBuildingPattern": "([" }""", "option 'NumberedBuildingPattern'")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{ "UsableShare": 0.7, """, "not valid JSON")]
    public void Bad_files_are_refused_with_a_message_that_names_the_problem(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => EstimationOptionsJson.Parse(json));
        Assert.Contains(expected, e.Message);
    }
}
