using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Quadtree;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Estimation;

/// <summary>
/// Estimates households where no count is known, by the rules of ../shared/docs/domain.md, and keeps one total: a
/// compound holds its mapped buildings plus, where they do not account for its estimate, one synthetic
/// <c>compound_remainder</c> building in its unmapped land. Pure: no I/O, inputs are never changed.
/// </summary>
public sealed class HouseholdEstimator
{
    public EstimationOptions Options { get; }
    readonly BuildingClassifier _classifier;

    public HouseholdEstimator(EstimationOptions? options = null)
    {
        Options = options ?? EstimationOptions.Default;
        _classifier = new BuildingClassifier(Options);
    }

    /// <summary>The id of a compound's remainder unit (a building of the buildings layer).</summary>
    public static string RemainderId(string compoundId) => $"remainder-{compoundId}";

    public static bool IsRemainder(JsonObject buildingProperties) =>
        ReadText(buildingProperties, "households_rule") == HouseholdRules.CompoundRemainder;

    public BuildingEstimate EstimateBuilding(BuildingEvidence evidence) => _classifier.Estimate(evidence);

    /// <summary>Households of one building from its footprint area alone (no shape, name or tags): type and compound decide.</summary>
    public int EstimateBuilding(double footprintM2, int? levels, double? heightM, string? buildingType, bool insideResidentialCompound) =>
        _classifier.Estimate(new BuildingEvidence(buildingType, Levels: levels, HeightM: heightM,
            Shape: double.IsFinite(footprintM2) && footprintM2 > 0 ? new FootprintShape(footprintM2, 0, 0, 0) : null,
            InsideResidentialLand: insideResidentialCompound)).Households;

    /// <summary>Households of a compound from its area alone: area (ha) × density of its class (households/ha); at least 1 for a non-empty area.</summary>
    public int EstimateCompound(double areaM2, string compoundClass)
    {
        if (!double.IsFinite(areaM2) || areaM2 <= 0) return 0;
        var density = Options.CompoundDensityPerHa.TryGetValue(compoundClass ?? CompoundClasses.Other, out var d) ? d
            : Options.CompoundDensityPerHa.TryGetValue(CompoundClasses.Other, out var other) ? other : 0;
        return Math.Max(1, BuildingClassifier.Round(areaM2 / 10_000 * density));
    }

    /// <summary><see cref="Estimate"/> with nothing beyond the import; the batches alone.</summary>
    public IReadOnlyList<LayerBatch> FillMissing(IReadOnlyList<LayerBatch> batches) => Estimate(batches, EstimationContext.Empty).Batches;

    /// <summary>
    /// Fills <c>households</c> where absent on the import's buildings and compounds, with <c>households_estimated</c> and
    /// <c>households_rule</c> (the rule that decided). A building gets the <c>compound</c> whose land holds its centroid
    /// (the import's or the store's) when absent; a stored building naming none gets the import's compound that holds it.
    /// Then each compound of the import, and each stored compound that gains or loses buildings, is recounted: its given
    /// count, else the sum over its residential buildings where they cover
    /// <see cref="EstimationOptions.MinMappedFootprintShare"/> of it, else area × density; what its mapped buildings do
    /// not hold goes to its remainder unit, so its households are always mapped buildings + remainder. Buildings (and
    /// remainders) above <see cref="EstimationOptions.SynthesiseUnitsAbove"/> with no stairwells get synthesised ones.
    /// Returns new batches in the same order (stored compounds recounted and new remainders added to them).
    /// </summary>
    public EstimatedImport Estimate(IReadOnlyList<LayerBatch> batches, EstimationContext context)
    {
        var compounds = IndexCompounds(batches, context);
        var nonResidential = new STRtree<IPreparedGeometry>();
        foreach (var land in context.NonResidentialLand.Where(g => g is IPolygonal && !g.IsEmpty))
            nonResidential.Insert(land.EnvelopeInternal, PreparedGeometryFactory.Prepare(land));
        nonResidential.Build();
        var pois = new STRtree<PointOfInterest>();
        foreach (var poi in context.Pois) pois.Insert(poi.At.EnvelopeInternal, poi);
        pois.Build();

        // Buildings first: their households feed the compounds'.
        var importIds = batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var results = new Dictionary<FeatureDraft, FeatureDraft>(ReferenceEqualityComparer.Instance);
        var judged = new List<Judged>();
        foreach (var draft in batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features))
        {
            var props = (JsonObject)draft.Properties.DeepClone();
            if (IsRemainder(props))
            {
                results[draft] = draft with { Properties = props };
                continue;
            }
            var geometry = draft.Geometry;
            var centroid = geometry.IsEmpty ? null : geometry.Centroid;
            var around = centroid is null ? null : compounds.Around(centroid);
            var memberOf = ReadText(props, "compound");
            if (memberOf is null && around is not null) props["compound"] = memberOf = around.Id;
            var compound = memberOf is not null ? compounds.Find(memberOf) : null;

            if (ReadNumber(props, "households") is { } given)
            {
                props["households_estimated"] ??= false;
                if (props["households_estimated"]?.GetValue<bool>() == false) props["households_rule"] ??= HouseholdRules.Given;
                judged.Add(new Judged(draft, props, compound, (long)given));
                continue;
            }
            var metric = geometry is IPolygonal && !geometry.IsEmpty ? MetricProjection.For(geometry).Project(geometry) : null;
            var evidence = new BuildingEvidence(
                ReadText(props, "building"), ReadText(props, "name"),
                ReadNumber(props, "levels") is { } l && l >= 1 ? BuildingClassifier.Round(l) : null,
                ReadNumber(props, "height"),
                metric is null ? null : FootprintShape.Of(metric),
                context.BuildingTags.GetValueOrDefault(draft.Id),
                geometry is IPolygonal ? PoisInside(pois, geometry) : null,
                InsideResidentialLand: around is not null || compound is not null,
                InsideNonResidentialLand: centroid is not null && nonResidential.Query(centroid.EnvelopeInternal).Any(p => p.Covers(centroid)));
            var estimate = _classifier.Estimate(evidence);
            judged.Add(new Judged(draft, props, compound, estimate.Households, evidence, estimate.Rule));
        }
        // Then the company they keep: named buildings among housing, and parts sharing a wall with housing.
        var neighbours = context.StoredBuildings.Where(b => !importIds.Contains(b.Id) && !IsRemainder(b.Properties)).ToList();
        JudgeNamedAmongHousing(judged, neighbours);
        JudgeAttachedParts(judged, neighbours);

        var members = new List<Member>();
        foreach (var (draft, props, compound, households, evidence, rule) in judged)
        {
            if (evidence is not null)
            {
                props["households"] = Number(households);
                props["households_estimated"] = true;
                props["households_rule"] = rule;
            }
            SynthesiseUnits(props, households);
            if (compound is not null && households > 0)
                members.Add(new Member(compound.Id, households, draft.Geometry));
            results[draft] = draft with { Properties = props };
        }

        // Buildings already in the store count for their compounds too (unless the import replaces them).
        var storedRemainders = new Dictionary<string, FeatureDraft>(StringComparer.Ordinal);
        var joined = new List<FeatureDraft>();
        foreach (var stored in context.StoredBuildings)
        {
            // Stored remainders count even when the import brings them back (an exported layer re-imported): one no
            // longer needed must still be deleted, else it stayed beside the recount (found by HouseholdTotalsPropertyTests).
            if (IsRemainder(stored.Properties))
            {
                if (ReadText(stored.Properties, "compound") is { } of) storedRemainders[of] = stored;
                continue;
            }
            if (importIds.Contains(stored.Id)) continue;
            var c = ReadText(stored.Properties, "compound");
            // A compound imported after its buildings takes in those standing in it: else they stayed outside it while
            // its remainder held their households a second time (one total broken, found by HouseholdTotalsPropertyTests).
            if (c is null && !stored.Geometry.IsEmpty && compounds.Around(stored.Geometry.Centroid) is { FromImport: true } around)
            {
                var props = (JsonObject)stored.Properties.DeepClone();
                props["compound"] = c = around.Id;
                joined.Add(stored with { Properties = props });
            }
            if (c is not null && ReadNumber(stored.Properties, "households") is > 0 and var h)
                members.Add(new Member(c, (long)h, stored.Geometry));
        }
        var byCompound = members.GroupBy(m => m.Compound).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        // Compounds: those of the import, and stored ones that gained or lost buildings.
        var touched = results.Values.Select(b => ReadText(b.Properties, "compound")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        touched.UnionWith(context.RecountCompounds);
        var remainders = new List<FeatureDraft>();
        var removed = new List<string>();
        var recounted = new Dictionary<string, FeatureDraft>(StringComparer.Ordinal);
        foreach (var shape in compounds.All)
        {
            if (!shape.FromImport && !touched.Contains(shape.Id)) continue;
            var (compound, remainder) = Recount(shape, byCompound.GetValueOrDefault(shape.Id) ?? []);
            recounted[shape.Id] = compound;
            var id = RemainderId(shape.Id);
            if (remainder is not null) remainders.Add(storedRemainders.TryGetValue(shape.Id, out var was) ? KeepMembership(remainder, was) : remainder);
            else if (storedRemainders.ContainsKey(shape.Id)) removed.Add(id);
        }

        // Remainders of the import whose compound was recounted are replaced by the new ones.
        var regenerated = recounted.Keys.Select(RemainderId).ToHashSet(StringComparer.Ordinal);
        var output = new List<LayerBatch>(batches.Count + 2);
        // Stored buildings a compound of the import took in are rewritten with the remainders.
        remainders.InsertRange(0, joined);
        var remaindersPlaced = false;
        foreach (var batch in batches)
        {
            switch (batch.Layer)
            {
                case Layer.Buildings:
                    var features = batch.Features.Where(d => !(IsRemainder(d.Properties) && regenerated.Contains(d.Id))).Select(d => results[d]).ToList();
                    if (!remaindersPlaced) features.AddRange(remainders);
                    remaindersPlaced = true;
                    output.Add(batch with { Features = features });
                    break;
                case Layer.Compounds:
                    output.Add(batch with { Features = batch.Features.Select(d => recounted.GetValueOrDefault(d.Id) ?? d).ToList() });
                    break;
                default:
                    output.Add(batch);
                    break;
            }
        }
        var storedRecounted = compounds.All.Where(c => !c.FromImport && recounted.ContainsKey(c.Id)).Select(c => recounted[c.Id])
            .Where(c => !JsonNode.DeepEquals(c.Properties, compounds.Find(c.Id)!.Draft.Properties)).ToList();
        if (storedRecounted.Count > 0) output.Add(new LayerBatch(Layer.Compounds, storedRecounted));
        if (!remaindersPlaced && remainders.Count > 0) output.Add(new LayerBatch(Layer.Buildings, remainders));
        return new EstimatedImport(output, removed);
    }

    /// <summary>
    /// A recounted remainder stays in the grids that list it: grid membership is the server's (contract, "Derived
    /// fields"), not the estimate's.
    /// </summary>
    static FeatureDraft KeepMembership(FeatureDraft remainder, FeatureDraft stored)
    {
        foreach (var name in (string[])["grid_code", "grid_codes"])
            if (stored.Properties[name] is { } value) remainder.Properties[name] = value.DeepClone();
        return remainder;
    }

    /// <summary>
    /// Named buildings that nothing decided are judged again knowing whether they stand among housing
    /// (<see cref="EstimationOptions.NamedAmongHousingRadiusM"/>). Their neighbours count as judged on their own evidence,
    /// so one such building never makes another housing.
    /// </summary>
    void JudgeNamedAmongHousing(List<Judged> judged, IReadOnlyList<FeatureDraft> stored)
    {
        var buildings = new STRtree<(Geometry Footprint, bool Housing)>();
        foreach (var (footprint, housing) in judged.Select(j => (j.Draft.Geometry, j.Households > 0))
                     .Concat(stored.Select(b => (b.Geometry, ReadNumber(b.Properties, "households") is > 0))))
        {
            if (!footprint.IsEmpty) buildings.Insert(footprint.EnvelopeInternal, (footprint, housing));
        }
        buildings.Build();
        var decided = new List<(int Index, BuildingEstimate Estimate)>();
        for (var i = 0; i < judged.Count; i++)
        {
            if (judged[i] is not { Households: 0, Evidence: { Name.Length: > 0 } evidence } j || j.Draft.Geometry.IsEmpty) continue;
            var projection = MetricProjection.For(j.Draft.Geometry);
            var footprint = projection.Project(j.Draft.Geometry);
            var near = buildings.Query(Around(j.Draft.Geometry, Options.NamedAmongHousingRadiusM))
                .Where(n => !ReferenceEquals(n.Footprint, j.Draft.Geometry)
                            && projection.Project(n.Footprint).Distance(footprint) <= Options.NamedAmongHousingRadiusM)
                .ToList();
            var housing = near.Count(n => n.Housing);
            if (housing < Options.NamedAmongHousingMinNeighbours || housing < Options.NamedAmongHousingMinShare * near.Count) continue;
            decided.Add((i, _classifier.Estimate(evidence with { AmongHousing = true })));
        }
        foreach (var (i, estimate) in decided.Where(d => d.Estimate.Residential))
            judged[i] = judged[i] with { Households = estimate.Households, Rule = estimate.Rule };
    }

    /// <summary>A search envelope at least <paramref name="metres"/> around a lon/lat geometry (a degree is over 50 km below 60° N).</summary>
    static Envelope Around(Geometry g, double metres)
    {
        var envelope = g.EnvelopeInternal.Copy();
        envelope.ExpandBy(metres / 50_000);
        return envelope;
    }

    /// <summary>
    /// A small untyped building that shares a wall with housing is a part of that block (a dormitory's washroom wing):
    /// such buildings are judged again knowing it, until none changes, so a part joined to its block through another
    /// part (a washroom through a corridor) counts too. Housing is the import's buildings and the stored ones.
    /// </summary>
    void JudgeAttachedParts(List<Judged> judged, IEnumerable<FeatureDraft> stored)
    {
        var housing = new Quadtree<Geometry>();
        foreach (var g in judged.Where(j => j.Households > 0).Select(j => j.Draft.Geometry).Concat(
                     stored.Where(b => ReadNumber(b.Properties, "households") is > 0).Select(b => b.Geometry)))
        {
            if (g is IPolygonal && !g.IsEmpty) housing.Insert(g.EnvelopeInternal, g);
        }
        var candidates = Enumerable.Range(0, judged.Count).Where(i =>
            judged[i] is { Households: 0, Draft.Geometry: IPolygonal, Evidence.Shape.AreaM2: > 0 and var area }
            && area <= Options.AttachedPartMaxFootprintM2).ToList();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var i in candidates.Where(i => judged[i].Households == 0 && SharesWallWithHousing(judged[i].Draft.Geometry, housing)))
            {
                var j = judged[i];
                var estimate = _classifier.Estimate(j.Evidence! with { AttachedToHousing = true });
                if (!estimate.Residential) continue;
                judged[i] = j with { Households = estimate.Households, Rule = estimate.Rule };
                housing.Insert(j.Draft.Geometry.EnvelopeInternal, j.Draft.Geometry);
                changed = true;
            }
        }
    }

    /// <summary>Whether a footprint shares at least <see cref="EstimationOptions.AttachedPartMinSharedWallM"/> of wall with housing.</summary>
    bool SharesWallWithHousing(Geometry footprint, Quadtree<Geometry> housing)
    {
        var projection = MetricProjection.For(footprint);
        var metric = projection.Project(footprint);
        var search = Around(footprint, Options.SharedWallToleranceM);
        foreach (var other in housing.Query(search))
        {
            if (ReferenceEquals(other, footprint) || !other.EnvelopeInternal.Intersects(search)) continue;
            try
            {
                var near = projection.Project(other).Buffer(Options.SharedWallToleranceM);
                if (metric.Boundary.Intersection(near).Length >= Options.AttachedPartMinSharedWallM) return true;
            }
            catch (TopologyException)
            {
                // A footprint the overlay cannot read shares no wall we can measure.
            }
        }
        return false;
    }

    /// <summary>A compound's households from its members, and its remainder unit where they fall short (null when they do not).</summary>
    (FeatureDraft Compound, FeatureDraft? Remainder) Recount(CompoundShape shape, IReadOnlyList<Member> inside)
    {
        var draft = shape.Draft;
        var props = (JsonObject)draft.Properties.DeepClone();
        var sum = inside.Sum(m => m.Households);
        var area = shape.AreaM2;
        var given = ReadNumber(props, "households") is { } g && props["households_estimated"]?.GetValue<bool>() != true ? (long?)g : null;

        long target;
        string rule;
        if (given is { } count)
        {
            target = count;
            rule = HouseholdRules.Given;
            props["households_estimated"] = false;
        }
        else
        {
            var footprint = inside.Where(m => m.Geometry is IPolygonal).Sum(m => MetricProjection.For(m.Geometry).AreaM2(m.Geometry));
            var share = area > 0 ? footprint / area : 1;
            if (sum > 0 && share >= Options.MinMappedFootprintShare)
            {
                target = sum;
                rule = HouseholdRules.BuildingsSum;
            }
            else
            {
                target = Math.Max(sum, EstimateCompound(area, ReadText(props, "class") ?? CompoundClasses.Other));
                rule = HouseholdRules.AreaDensity;
            }
            props["households_estimated"] = true;
        }
        var rest = Math.Max(0, target - sum);
        props["households"] = Number(Math.Min(sum + rest, int.MaxValue));
        props["households_rule"] = rule;
        var compound = draft with { Properties = props };
        return (compound, rest > 0 ? Remainder(shape, inside, (int)Math.Min(rest, int.MaxValue)) : null);
    }

    /// <summary>
    /// The unit holding what a compound's mapped buildings do not: its land outside their footprints (the compound's
    /// inside point when nothing is left), named after the compound.
    /// </summary>
    FeatureDraft Remainder(CompoundShape shape, IReadOnlyList<Member> inside, int households)
    {
        var compound = shape.Draft;
        Geometry land = compound.Geometry;
        var footprints = inside.Select(m => m.Geometry).Where(g => g is IPolygonal).ToList();
        try
        {
            if (footprints.Count > 0) land = compound.Geometry.Difference(UnaryUnionOp.Union(footprints));
        }
        catch (NetTopologySuite.Geometries.TopologyException)
        {
            land = compound.Geometry;
        }
        var props = new JsonObject
        {
            ["households"] = Number(households),
            ["households_estimated"] = true,
            ["households_rule"] = HouseholdRules.CompoundRemainder,
            ["compound"] = compound.Id,
            ["name"] = ReadText(compound.Properties, "name") is { } name ? $"{name}（未测绘住户）" : "未测绘住户",
            ["synthetic"] = true,
        };
        if (ReadText(compound.Properties, "community_code") is { } community) props["community_code"] = community;
        SynthesiseUnits(props, households);
        var check = FeatureValidator.Validate(Layer.Buildings, null, RemainderId(compound.Id), land.IsEmpty ? compound.Geometry.InteriorPoint : land, props);
        var geometry = check.IsValid && check.Draft is { } valid && valid.Geometry is IPolygonal ? valid.Geometry : compound.Geometry.InteriorPoint;
        return new FeatureDraft(RemainderId(compound.Id), geometry, props);
    }

    /// <summary>Stairwells of about <see cref="EstimationOptions.SynthesisedUnitHouseholds"/> for a large building that lists none.</summary>
    void SynthesiseUnits(JsonObject props, long households)
    {
        if (households <= Options.SynthesiseUnitsAbove || props["units"] is JsonArray { Count: > 0 }) return;
        var units = BuildingUnit.Synthesise((int)Math.Min(households, int.MaxValue), Options.SynthesisedUnitHouseholds);
        if (units.Count < 2) return;
        props["units"] = new JsonArray(units.Select(u => (JsonNode)new JsonObject { ["id"] = u.Id, ["households"] = Number(u.Households) }).ToArray());
        props["units_synthesised"] = true;
    }

    static List<IReadOnlyDictionary<string, string>>? PoisInside(STRtree<PointOfInterest> pois, Geometry footprint)
    {
        List<IReadOnlyDictionary<string, string>>? inside = null;
        foreach (var poi in pois.Query(footprint.EnvelopeInternal))
        {
            if (footprint.Covers(poi.At)) (inside ??= []).Add(poi.Tags);
        }
        return inside;
    }

    static Compounds IndexCompounds(IReadOnlyList<LayerBatch> batches, EstimationContext context)
    {
        var index = new Compounds();
        var imported = batches.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features).ToList();
        var importedIds = imported.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var c in imported) index.Add(c, fromImport: true);
        foreach (var c in context.StoredCompounds.Where(c => !importedIds.Contains(c.Id))) index.Add(c, fromImport: false);
        index.Build();
        return index;
    }

    sealed record Member(string Compound, long Households, Geometry Geometry);

    /// <summary>A building of the import and its households: given (no evidence), or estimated on evidence by a rule.</summary>
    sealed record Judged(FeatureDraft Draft, JsonObject Props, CompoundShape? Compound, long Households, BuildingEvidence? Evidence = null, string? Rule = null);

    sealed record CompoundShape(string Id, IPreparedGeometry Prepared, double LonLatArea, double AreaM2, FeatureDraft Draft, bool FromImport);

    /// <summary>Compound polygons by id and by place; the smallest one around a point is the one it is in.</summary>
    sealed class Compounds
    {
        readonly STRtree<CompoundShape> _tree = new();
        readonly Dictionary<string, CompoundShape> _byId = new(StringComparer.Ordinal);
        public List<CompoundShape> All { get; } = [];

        public void Add(FeatureDraft draft, bool fromImport)
        {
            if (draft.Geometry is not IPolygonal || draft.Geometry.IsEmpty || _byId.ContainsKey(draft.Id)) return;
            var shape = new CompoundShape(draft.Id, PreparedGeometryFactory.Prepare(draft.Geometry), draft.Geometry.Area,
                MetricProjection.For(draft.Geometry).AreaM2(draft.Geometry), draft, fromImport);
            All.Add(shape);
            _byId[draft.Id] = shape;
            _tree.Insert(draft.Geometry.EnvelopeInternal, shape);
        }

        public void Build() => _tree.Build();

        public CompoundShape? Find(string id) => _byId.GetValueOrDefault(id);

        public CompoundShape? Around(Point p) =>
            _tree.Query(p.EnvelopeInternal).Where(c => c.Prepared.Covers(p)).OrderBy(c => c.LonLatArea).FirstOrDefault();
    }

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
}
