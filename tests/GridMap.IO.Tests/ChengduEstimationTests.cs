using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.IO.Osm;
using OsmSharp;
using OsmSharp.Streams;
using Xunit.Abstractions;

namespace GridMap.IO.Tests;

/// <summary>
/// Household estimation on real Chinese OSM data: Chengdu's typed buildings with their type stripped to <c>yes</c> are
/// judged residential or not on evidence alone, and one household total holds across the layers.
/// </summary>
public class ChengduEstimationTests(ChengduOsmFixture chengdu, ITestOutputHelper output) : IClassFixture<ChengduOsmFixture>
{
    static readonly EstimationOptions Defaults = new();

    static bool TruthResidential(string type) => Defaults.ResidentialTypes.Contains(type) || Defaults.VillaTypes.Contains(type);

    /// <summary>The extract with every typed building (not yes, not the loosely used house) re-tagged building=yes, as OSM XML.</summary>
    static (MemoryStream Xml, Dictionary<string, string> Truth) Stripped(string path)
    {
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        var xml = new MemoryStream();
        using (var file = File.OpenRead(path))
        {
            var source = new PBFOsmStreamSource(file);
            var target = new XmlOsmStreamTarget(xml);
            target.Initialize();
            foreach (var geo in source)
            {
                if (geo.Tags is { } tags && tags.TryGetValue("building", out var type) && type is not ("yes" or "house")
                    && (Defaults.ResidentialTypes.Contains(type) || Defaults.VillaTypes.Contains(type) || Defaults.NonResidentialTypes.Contains(type)))
                {
                    truth[(geo.Type == OsmGeoType.Way ? "w" : "r") + geo.Id] = type;
                    tags.AddOrReplace("building", "yes");
                }
                switch (geo)
                {
                    case Node n: target.AddNode(n); break;
                    case Way w: target.AddWay(w); break;
                    case Relation r: target.AddRelation(r); break;
                }
            }
            target.Flush();
            target.Close();
        }
        return (new MemoryStream(xml.ToArray()), truth);
    }

    [Fact]
    public void Typed_buildings_stripped_to_yes_are_judged_as_their_type_says_at_least_90_percent()
    {
        var (xml, truth) = Stripped(chengdu.Path);
        var import = OsmImporter.Read(xml, new EstimationOptions());
        var buildings = import.Features(Layer.Buildings).ToDictionary(b => b.Id);
        var right = 0;
        var judged = 0;
        foreach (var (id, type) in truth.OrderBy(t => t.Key))
        {
            if (!buildings.TryGetValue(id, out var b)) continue;
            judged++;
            var residential = (JsonNumber.ToLong(b.Properties["households"]) ?? 0) > 0;
            if (residential == TruthResidential(type)) right++;
            else
            {
                var shape = FootprintShape.Of(GridMap.Core.Spatial.MetricProjection.For(b.Geometry).Project(b.Geometry));
                output.WriteLine($"wrong: {id} {type} → {b.Properties["households"]} by {b.Properties["households_rule"]} ({b.Properties["name"]}) {shape} levels {b.Properties["levels"]}");
            }
        }
        var share = (double)right / judged;
        output.WriteLine($"{right} of {judged} typed buildings judged as their type says ({share:P1})");
        Assert.True(judged >= 50, $"only {judged} typed buildings");
        // The issue's target is 90 %; measured 59 of 63 (93.7 %; 54 before the dormitory's washroom and corridor wings
        // counted as parts of it and 旭和倾城 as a named block among housing). The misses: 3 unnamed courtyard blocks on
        // the UESTC Shahe campus, shaped like its teaching buildings, with no name, levels or residential land, and
        // 龙湖·北城天街2期, a 6.6 ha outline named after the mall beside it. See docs/estimation.md.
        Assert.True(share >= 0.90, $"{right} of {judged} ({share:P1})");
    }

    [Fact]
    public void Every_estimated_building_says_which_rule_decided()
    {
        var buildings = chengdu.Import.Features(Layer.Buildings);
        foreach (var b in buildings)
            Assert.Contains(b.Properties["households_rule"]?.GetValue<string>(), HouseholdRules.All);
        foreach (var g in buildings.GroupBy(b => b.Properties["households_rule"]!.GetValue<string>()).OrderByDescending(g => g.Count()))
            output.WriteLine($"{g.Key}: {g.Count()} buildings, {g.Sum(b => JsonNumber.ToLong(b.Properties["households"]) ?? 0)} households");
        var yes = buildings.Where(b => b.Properties["building"]?.GetValue<string>() == "yes").ToList();
        var housing = yes.Count(b => JsonNumber.ToLong(b.Properties["households"]) > 0);
        output.WriteLine($"building=yes: {housing} of {yes.Count} residential");
        Assert.True(housing >= 120, $"only {housing} of {yes.Count} building=yes judged residential");
    }

    [Fact]
    public void Compounds_hold_their_buildings_plus_their_remainder_one_total()
    {
        var import = chengdu.Import;
        var compounds = import.Features(Layer.Compounds);
        var buildings = import.Features(Layer.Buildings);
        var byCompound = buildings.Where(b => b.Properties["compound"] is not null)
            .GroupBy(b => b.Properties["compound"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Sum(b => JsonNumber.ToLong(b.Properties["households"]) ?? 0));
        foreach (var c in compounds)
            Assert.Equal(JsonNumber.ToLong(c.Properties["households"]), byCompound.GetValueOrDefault(c.Id));
        var remainders = buildings.Where(b => HouseholdEstimator.IsRemainder(b.Properties)).ToList();
        output.WriteLine($"{compounds.Count} compounds, {compounds.Sum(c => JsonNumber.ToLong(c.Properties["households"]))} households; " +
            $"{remainders.Count} remainders hold {remainders.Sum(b => JsonNumber.ToLong(b.Properties["households"]))}; " +
            $"buildings in all {buildings.Sum(b => JsonNumber.ToLong(b.Properties["households"]) ?? 0)}");
        Assert.NotEmpty(remainders);
        Assert.All(remainders, r => Assert.Equal(HouseholdEstimator.RemainderId(r.Properties["compound"]!.GetValue<string>()), r.Id));
    }
}
