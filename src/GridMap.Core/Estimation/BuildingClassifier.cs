using System.Text.RegularExpressions;

namespace GridMap.Core.Estimation;

/// <summary>
/// Decides whether a building holds households and how many, by the rules of ../shared/docs/domain.md: typed buildings
/// by their type; villas and small houses one household each; untyped ones (<c>building=yes</c>, a large <c>house</c>,
/// an unlisted type) on evidence, first match wins — their own tags, a wall shared with housing (a wing of that block),
/// their name, the points of interest inside them, the land they stand on, the slab or point-tower shape of housing, and
/// for a named one the housing it stands among. Pure; every constant is an <see cref="EstimationOptions"/>.
/// </summary>
public sealed class BuildingClassifier
{
    readonly EstimationOptions _o;
    readonly Regex _numbered;

    public BuildingClassifier(EstimationOptions options)
    {
        _o = options;
        _numbered = new Regex(options.NumberedBuildingPattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
    }

    public BuildingEstimate Estimate(BuildingEvidence b)
    {
        var type = string.IsNullOrWhiteSpace(b.Type) ? "yes" : b.Type.Trim();
        var area = b.Shape?.AreaM2 ?? 0;

        if (_o.ResidentialTypes.Contains(type)) return Flats(b, type, HouseholdRules.ResidentialType);
        if (_o.NonResidentialTypes.Contains(type)) return None(HouseholdRules.NonResidentialType);
        if (_o.VillaTypes.Contains(type)) return new(1, HouseholdRules.Villa);
        if (_o.HouseTypes.Contains(type) && area <= _o.HouseMaxFootprintM2) return new(1, HouseholdRules.SmallHouse);
        if (_o.RowHouseTypes.Contains(type))
            return new(Math.Max(1, Round(area * Levels(b, type) / _o.FloorAreaPerHouseM2)), HouseholdRules.RowHouse);
        return Untyped(b, type);
    }

    BuildingEstimate Untyped(BuildingEvidence b, string type)
    {
        if (b.Tags is { } tags && tags.Any(t => SaysNonResidential(t.Key, t.Value))) return None(HouseholdRules.NonResidentialTags);

        var name = b.Name ?? "";
        if (IsPartOfHousing(b, name)) return Flats(b, type, HouseholdRules.AttachedPart);
        if (name.Length > 0)
        {
            if (Contains(name, _o.StrongResidentialNameWords)) return Flats(b, type, HouseholdRules.ResidentialName);
            if (Contains(name, _o.NonResidentialNameWords)) return None(HouseholdRules.NonResidentialName);
            if (Contains(name, _o.VillaNameWords)) return new(1, HouseholdRules.Villa);
            if (Contains(name, _o.ResidentialNameWords) || _numbered.IsMatch(name)) return Flats(b, type, HouseholdRules.ResidentialName);
            if (_o.NamedHighRiseIsResidential && KnownLevels(b) >= _o.TowerMinLevels) return Flats(b, type, HouseholdRules.NamedHighRise);
        }

        if (HasNonResidentialPoi(b)) return None(HouseholdRules.NonResidentialPoi);

        if (b.InsideResidentialLand && _o.UnknownInsideCompoundIsResidential) return Flats(b, type, HouseholdRules.InsideCompound);
        if (b.InsideNonResidentialLand && !_o.UntypedInsideNonResidentialLandIsResidential) return None(HouseholdRules.NonResidentialLand);

        if (b.Shape is { } s && s.AreaM2 >= _o.HousingMinFootprintM2 && s.AreaM2 <= _o.HousingMaxFootprintM2 && s.Rectangularity >= _o.HousingMinRectangularity)
        {
            if (s.Depth >= _o.SlabMinDepthM && s.Depth <= _o.SlabMaxDepthM && s.Length >= _o.SlabMinLengthM)
                return Flats(b, type, HouseholdRules.SlabShape);
            if (KnownLevels(b) >= _o.TowerMinLevels && s.Depth >= _o.TowerMinSideM && s.Length <= _o.TowerMaxSideM && s.Aspect <= _o.TowerMaxAspect)
                return Flats(b, type, HouseholdRules.TowerShape);
        }
        if (b.AmongHousing && name.Length > 0) return Flats(b, type, HouseholdRules.NamedAmongHousing);
        return None(HouseholdRules.NoEvidence);
    }

    /// <summary>
    /// A small building sharing a wall with housing, unnamed or named as a part of a building (盥洗室, 过道), with nothing
    /// inside that fills it otherwise: a wing of that block (a dormitory's washroom wing), so housing like it.
    /// </summary>
    bool IsPartOfHousing(BuildingEvidence b, string name) =>
        b.AttachedToHousing && b.Shape is { AreaM2: > 0 } s && s.AreaM2 <= _o.AttachedPartMaxFootprintM2
        && (name.Length == 0 || Contains(name, _o.BuildingPartNameWords)) && !HasNonResidentialPoi(b);

    bool HasNonResidentialPoi(BuildingEvidence b) =>
        b.PoisInside is { Count: > 0 } pois && pois.Any(p => p.Any(t => Listed(_o.NonResidentialPoiTags, t.Key, t.Value)));

    bool SaysNonResidential(string key, string value) =>
        _o.NonResidentialTagKeys.Contains(key) && value is { Length: > 0 } && value != "no"
        && !_o.HarmlessTagValues.Contains($"{key}={value}");

    static bool Listed(IReadOnlySet<string> list, string key, string value) =>
        list.Contains($"{key}={value}") || list.Contains($"{key}=*");

    static bool Contains(string name, IReadOnlySet<string> words)
    {
        foreach (var w in words)
            if (w.Length > 0 && name.Contains(w, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    static BuildingEstimate None(string rule) => new(0, rule);

    /// <summary>
    /// Flats: area × levels × usable share ÷ dwelling size, at least 1; a building mapped as a point holds 1. An estate's
    /// outline mapped as one building (large, no levels known) holds area × estate density instead.
    /// </summary>
    BuildingEstimate Flats(BuildingEvidence b, string type, string rule)
    {
        var area = b.Shape?.AreaM2 ?? 0;
        if (area >= _o.EstateMinFootprintM2 && KnownLevels(b) == 0 && b.Shape is { Depth: > 0 })
        {
            var density = _o.CompoundDensityPerHa.GetValueOrDefault(_o.EstateClass, 100);
            return new(Math.Max(1, Round(area / 10_000 * density)), HouseholdRules.EstateOutline);
        }
        var households = area * Levels(b, type) * _o.UsableShare / _o.DwellingSizeM2;
        return new(Math.Max(1, Round(households)), rule);
    }

    int KnownLevels(BuildingEvidence b)
    {
        if (b.Levels is > 0) return b.Levels.Value;
        if (b.HeightM is { } h && double.IsFinite(h) && h > 0 && _o.MetresPerLevel > 0) return Math.Max(1, Round(h / _o.MetresPerLevel));
        return 0;
    }

    /// <summary>Levels given, else height ÷ metres per level, else the type's default, else the <c>yes</c> default.</summary>
    public int Levels(BuildingEvidence b, string type)
    {
        if (KnownLevels(b) is > 0 and var known) return known;
        if (_o.DefaultLevels.TryGetValue(type, out var byType)) return byType;
        if (_o.DefaultLevels.TryGetValue("yes", out var yes)) return yes;
        return _o.FallbackLevels;
    }

    public static int Round(double value) =>
        double.IsFinite(value) ? (int)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, int.MaxValue) : 0;
}
