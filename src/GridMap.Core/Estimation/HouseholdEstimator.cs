using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Estimation;

/// <summary>
/// Estimates households where no count is known, by the rules of ../shared/docs/domain.md.
/// Pure: no I/O, inputs are never changed.
/// </summary>
public sealed class HouseholdEstimator(EstimationOptions? options = null)
{
    public EstimationOptions Options { get; } = options ?? EstimationOptions.Default;

    enum Use { None, House, Residential }

    /// <summary>
    /// Households of one building: non-residential types hold 0; house types one per
    /// <see cref="EstimationOptions.FloorAreaPerHouseM2"/> of floor area; residential types (and <c>yes</c> or unlisted
    /// types inside a residential compound) area × levels × usable share ÷ dwelling size. Residential results are rounded
    /// and at least 1. Levels come from <paramref name="levels"/>, else <paramref name="heightM"/> ÷ metres per level,
    /// else the default for the type.
    /// </summary>
    public int EstimateBuilding(double footprintM2, int? levels, double? heightM, string? buildingType, bool insideResidentialCompound)
    {
        var use = Classify(buildingType, insideResidentialCompound);
        if (use == Use.None) return 0;
        var area = double.IsFinite(footprintM2) && footprintM2 > 0 ? footprintM2 : 0;
        var floors = ResolveLevels(levels, heightM, buildingType);
        var households = use == Use.House
            ? area * floors / Options.FloorAreaPerHouseM2
            : area * floors * Options.UsableShare / Options.DwellingSizeM2;
        return Math.Max(1, ToInt(households));
    }

    /// <summary>Households of a compound from its area alone: area (ha) × density of its class (households/ha); at least 1 for a non-empty area.</summary>
    public int EstimateCompound(double areaM2, string compoundClass)
    {
        if (!double.IsFinite(areaM2) || areaM2 <= 0) return 0;
        var density = Options.CompoundDensityPerHa.TryGetValue(compoundClass ?? CompoundClasses.Other, out var d) ? d
            : Options.CompoundDensityPerHa.TryGetValue(CompoundClasses.Other, out var other) ? other : 0;
        return Math.Max(1, ToInt(areaM2 / 10_000 * density));
    }

    /// <summary>
    /// Fills <c>households</c> where it is absent, on buildings and compounds of one import, and flags every estimate
    /// with <c>households_estimated: true</c> (<c>false</c> where a count was given and the flag is absent).
    /// Buildings are estimated from footprint, levels and type, and whether their centroid lies in a compound of this
    /// import (every compound counts as residential); they also get the <c>compound</c> id of that compound when absent.
    /// A compound gets the sum over the residential buildings inside it, else area × density of its class.
    /// Returns new batches in the same order with new drafts; other layers pass through unchanged.
    /// </summary>
    public IReadOnlyList<LayerBatch> FillMissing(IReadOnlyList<LayerBatch> batches)
    {
        // Compound polygons of this import, indexed.
        var compounds = new List<CompoundShape>();
        var tree = new STRtree<CompoundShape>();
        foreach (var batch in batches.Where(b => b.Layer == Layer.Compounds))
        {
            foreach (var draft in batch.Features)
            {
                if (draft.Geometry is not IPolygonal || draft.Geometry.IsEmpty) continue;
                var shape = new CompoundShape(draft.Id, PreparedGeometryFactory.Prepare(draft.Geometry), draft.Geometry.Area);
                compounds.Add(shape);
                tree.Insert(draft.Geometry.EnvelopeInternal, shape);
            }
        }
        tree.Build();
        var byId = compounds.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First());

        // Buildings first: their households feed the compounds' sums.
        var householdsInCompound = new Dictionary<string, long>();
        var footprintInCompound = new Dictionary<string, double>();
        var buildingResults = new Dictionary<FeatureDraft, FeatureDraft>(ReferenceEqualityComparer.Instance);
        foreach (var batch in batches.Where(b => b.Layer == Layer.Buildings))
        {
            foreach (var draft in batch.Features)
            {
                var props = (JsonObject)draft.Properties.DeepClone();
                var geometry = draft.Geometry;
                var given = ReadNumber(props, "households");

                // The compound it lies in (its centroid, smallest compound first) decides whether building=yes is residential;
                // the compound it belongs to is its own `compound` property when set, else that one.
                CompoundShape? around = null;
                if (!geometry.IsEmpty)
                {
                    var centroid = geometry.Centroid;
                    around = tree.Query(centroid.EnvelopeInternal)
                        .Where(c => c.Prepared.Covers(centroid))
                        .OrderBy(c => c.LonLatArea)
                        .FirstOrDefault();
                }
                var memberOf = ReadText(props, "compound");
                if (memberOf is null && around is not null) props["compound"] = memberOf = around.Id;
                CompoundShape? compound = memberOf is not null && byId.TryGetValue(memberOf, out var own) ? own : null;

                long households;
                if (given is { } count)
                {
                    households = (long)count;
                    props["households_estimated"] ??= false;
                }
                else
                {
                    var type = ReadText(props, "building");
                    var inside = around is not null || compound is not null;
                    if (geometry is IPolygonal)
                    {
                        var levels = ReadNumber(props, "levels") is { } l && l >= 1 ? (int?)ToInt(l) : null;
                        households = EstimateBuilding(MetricProjection.For(geometry).AreaM2(geometry), levels, ReadNumber(props, "height"), type, inside);
                    }
                    else
                    {
                        // A building mapped as a point has no footprint: count it as one household when it looks
                        // residential (a residential or house type, or building=yes inside a residential compound), else 0.
                        households = Classify(type, inside) == Use.None ? 0 : 1;
                    }
                    props["households"] = Number(households);
                    props["households_estimated"] = true;
                }

                if (compound is not null && households > 0)
                {
                    householdsInCompound[compound.Id] = householdsInCompound.GetValueOrDefault(compound.Id) + households;
                    if (geometry is IPolygonal)
                        footprintInCompound[compound.Id] = footprintInCompound.GetValueOrDefault(compound.Id) + MetricProjection.For(geometry).AreaM2(geometry);
                }
                buildingResults[draft] = draft with { Properties = props };
            }
        }

        var result = new List<LayerBatch>(batches.Count);
        foreach (var batch in batches)
        {
            switch (batch.Layer)
            {
                case Layer.Buildings:
                    result.Add(batch with { Features = batch.Features.Select(d => buildingResults[d]).ToList() });
                    break;
                case Layer.Compounds:
                    result.Add(batch with { Features = batch.Features.Select(d => FillCompound(d, householdsInCompound, footprintInCompound)).ToList() });
                    break;
                default:
                    result.Add(batch);
                    break;
            }
        }
        return result;
    }

    FeatureDraft FillCompound(FeatureDraft draft, IReadOnlyDictionary<string, long> householdsInCompound, IReadOnlyDictionary<string, double> footprintInCompound)
    {
        var props = (JsonObject)draft.Properties.DeepClone();
        if (ReadNumber(props, "households") is not null)
        {
            props["households_estimated"] ??= false;
        }
        else
        {
            var area = draft.Geometry is IPolygonal && !draft.Geometry.IsEmpty
                ? MetricProjection.For(draft.Geometry).AreaM2(draft.Geometry) : 0;
            var byDensity = EstimateCompound(area, ReadText(props, "class") ?? CompoundClasses.Other);
            long households;
            if (householdsInCompound.TryGetValue(draft.Id, out var sum) && sum > 0)
            {
                // Mainland OSM maps a few buildings of a compound: when their footprints cover too little of it,
                // the sum undercounts, so the density estimate stands as a floor.
                var mappedShare = area > 0 ? footprintInCompound.GetValueOrDefault(draft.Id) / area : 1;
                households = mappedShare < Options.MinMappedFootprintShare ? Math.Max(sum, byDensity) : sum;
            }
            else households = byDensity;
            props["households"] = Number(Math.Min(households, int.MaxValue));
            props["households_estimated"] = true;
        }
        return draft with { Properties = props };
    }

    Use Classify(string? buildingType, bool insideResidentialCompound)
    {
        var type = string.IsNullOrWhiteSpace(buildingType) ? "yes" : buildingType.Trim();
        if (Options.HouseTypes.Contains(type)) return Use.House;
        if (Options.ResidentialTypes.Contains(type)) return Use.Residential;
        if (Options.NonResidentialTypes.Contains(type)) return Use.None;
        return insideResidentialCompound && Options.UnknownInsideCompoundIsResidential ? Use.Residential : Use.None;
    }

    int ResolveLevels(int? levels, double? heightM, string? buildingType)
    {
        if (levels is > 0) return levels.Value;
        if (heightM is { } h && double.IsFinite(h) && h > 0 && Options.MetresPerLevel > 0)
            return Math.Max(1, ToInt(h / Options.MetresPerLevel));
        var type = string.IsNullOrWhiteSpace(buildingType) ? "yes" : buildingType.Trim();
        if (Options.DefaultLevels.TryGetValue(type, out var byType)) return byType;
        if (Options.DefaultLevels.TryGetValue("yes", out var yes)) return yes;
        return Options.FallbackLevels;
    }

    static int ToInt(double value) =>
        double.IsFinite(value) ? (int)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, int.MaxValue) : 0;

    /// <summary>
    /// A JSON number backed by its JSON text, like one read from a file: unlike <c>JsonValue.Create(int)</c> it also reads
    /// back as long or double (<c>GetValue&lt;double&gt;</c>, <c>TryGetValue&lt;long&gt;</c>), as the validator and the model do.
    /// </summary>
    static JsonNode Number(long value) => JsonSerializer.SerializeToNode(value)!;

    static string? ReadText(JsonObject props, string name) =>
        props[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s ? s : null;

    /// <summary>A number property, also from a string such as "12" or "12.5 m"; null when absent or not a number.</summary>
    static double? ReadNumber(JsonObject props, string name)
    {
        if (props[name] is not JsonValue v) return null;
        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                // From the JSON text: a JsonValue made from an int in code does not convert to double.
                return double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
            case JsonValueKind.String:
                var text = v.GetValue<string>().Trim();
                var end = 0;
                while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.')) end++;
                return end > 0 && double.TryParse(text[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;
            default:
                return null;
        }
    }

    sealed record CompoundShape(string Id, IPreparedGeometry Prepared, double LonLatArea);
}
