using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using Xunit.Abstractions;

namespace GridMap.IO.Tests;

/// <summary>Chengdu's extract holds no boundary below the district: the import forms provisional streets and communities inside its districts.</summary>
public class OsmAreasTests(ChengduOsmFixture chengdu, ITestOutputHelper output) : IClassFixture<ChengduOsmFixture>
{
    static long Households(FeatureDraft f) => JsonNumber.ToLong(f.Properties["households"]) ?? 0;

    /// <summary>Households of the buildings (remainders included) whose inside point lies in an area.</summary>
    static long Inside(FeatureDraft area, IReadOnlyList<FeatureDraft> buildings) =>
        buildings.Where(b => area.Geometry.Covers(b.Geometry.InteriorPoint)).Sum(Households);

    static double AreaM2(Geometry g) => MetricProjection.For(g).AreaM2(g);

    [Fact]
    public void Chengdu_gets_provisional_streets_and_communities_of_1000_to_3000_households_inside_its_five_districts()
    {
        var import = chengdu.Import;
        var districts = import.Features(Layer.Districts);
        var streets = import.Features(Layer.Streets);
        var communities = import.Features(Layer.Communities);
        var all = import.Features(Layer.Buildings);
        var held = communities.ToDictionary(c => c.Id, c => Inside(c, all));
        long Households(FeatureDraft c) => held[c.Id];
        output.WriteLine($"{districts.Count} districts, {streets.Count} streets, {communities.Count} communities; households per community: " +
            string.Join(", ", communities.Select(Households).Order()));

        // The five district relations (no ref: codes 990001…), streets and communities coded under them.
        Assert.Equal(5, districts.Count);
        Assert.All(districts.Concat(streets).Concat(communities), a => Assert.True(a.Properties["provisional"]!.GetValue<bool>()));
        Assert.All(streets, s => Assert.Matches("^9900[0-9]{2}9[0-9]{2}$", s.Id));
        Assert.All(streets, s => Assert.Contains(districts, d => d.Id == s.Properties["district_code"]!.GetValue<string>() && s.Id.StartsWith(d.Id)));
        Assert.All(communities, c => Assert.Matches("^9900[0-9]{2}9[0-9]{2}9[0-9]{2}$", c.Id));
        Assert.All(communities, c => Assert.Equal(c.Id[..9], c.Properties["street_code"]!.GetValue<string>()));
        Assert.All(communities, c => Assert.Contains(streets, s => s.Id == c.Id[..9]));
        Assert.All(communities, c => Assert.Contains("暂定", c.Properties["name"]!.GetValue<string>()));
        Assert.True(communities.Count(c => c.Properties["name"]!.GetValue<string>().EndsWith("社区（暂定）")) >= communities.Count / 2, "most are named after their largest compound");

        // One total: the communities hold every household of the import.
        var buildings = all.Sum(OsmAreasTests.Households);
        Assert.Equal(buildings, communities.Sum(Households));
        // Most communities are in the 1,000–3,000 band (a block bounded by major roads may hold more on its own; a
        // district's corner inside the extract may hold less).
        Assert.True(communities.Count(c => Households(c) is >= 1000 and <= 3000) >= 0.75 * communities.Count);
        Assert.InRange(communities.Count, buildings / 3000, buildings / 1000 + districts.Count);

        // They tile the land without overlap, and inside the extract's bounds each lies in its own district.
        var union = UnaryUnionOp.Union(communities.Select(c => c.Geometry).ToList());
        var overlap = communities.Sum(c => AreaM2(c.Geometry)) - AreaM2(union);
        Assert.True(overlap < 10, $"communities overlap by {overlap:0} m²");
        var box = union.Factory.ToGeometry(new Envelope(104.0421, 104.1296, 30.6528, 30.7279));
        Assert.All(communities, c =>
        {
            var district = districts.Single(d => d.Id == c.Id[..6]).Geometry;
            var outside = AreaM2(c.Geometry.Intersection(box)) - AreaM2(c.Geometry.Intersection(district)); // districts lie inside the bounds
            Assert.True(outside < 10, $"{c.Id}: {outside:0} m² inside the bounds but outside its district");
        });
    }

    [Fact]
    public void Chengdu_campuses_hospitals_and_business_land_become_disjoint_special_areas_off_the_compounds()
    {
        var special = chengdu.Import.Features(Layer.SpecialAreas);
        output.WriteLine($"{special.Count} special areas: " + string.Join(", ", special.GroupBy(a => a.Properties["kind"]!.GetValue<string>())
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()} ({g.Sum(a => AreaM2(a.Geometry)) / 10_000:0} ha)")));
        Assert.Contains(special, a => a.Properties["kind"]!.GetValue<string>() == "university");
        Assert.Contains(special, a => a.Properties["kind"]!.GetValue<string>() == "hospital");
        Assert.All(special, a => Assert.True(AreaM2(a.Geometry) >= 2000));
        var union = UnaryUnionOp.Union(special.Select(a => a.Geometry).ToList());
        Assert.True(special.Sum(a => AreaM2(a.Geometry)) - AreaM2(union) < 10, "special areas overlap");
        var compounds = UnaryUnionOp.Union(chengdu.Import.Features(Layer.Compounds).Select(c => c.Geometry).ToList());
        Assert.True(AreaM2(union.Intersection(compounds)) < 10, "special areas take compound land");
    }
}
