namespace GridMap.Core.Estimation;

/// <summary>
/// The rule that decided a feature's households (<c>households_rule</c>), so a planner can see why. Keys are used as-is
/// in files and the API; docs/schema.md lists them with their meaning.
/// </summary>
public static class HouseholdRules
{
    // ---- counts ----
    public const string Given = "given";

    // ---- buildings, by type ----
    public const string ResidentialType = "residential_type";
    public const string NonResidentialType = "non_residential_type";
    public const string Villa = "villa";
    public const string SmallHouse = "small_house";
    public const string RowHouse = "row_house";

    // ---- untyped buildings (building=yes, a large house, an unlisted type), on evidence, first match wins ----
    public const string NonResidentialTags = "non_residential_tags";
    public const string AttachedPart = "attached_part";
    public const string ResidentialName = "residential_name";
    public const string NonResidentialName = "non_residential_name";
    public const string NonResidentialPoi = "non_residential_poi";
    public const string NonResidentialLand = "non_residential_land";
    public const string InsideCompound = "inside_compound";
    public const string SlabShape = "slab_shape";
    public const string TowerShape = "tower_shape";
    public const string NamedHighRise = "named_high_rise";
    public const string NamedAmongHousing = "named_among_housing";
    public const string EstateOutline = "estate_outline";
    public const string NoEvidence = "no_evidence";

    // ---- compounds and what they hold beyond their mapped buildings ----
    public const string BuildingsSum = "buildings_sum";
    public const string AreaDensity = "area_density";
    public const string CompoundRemainder = "compound_remainder";

    public static readonly IReadOnlyList<string> All =
    [
        Given, ResidentialType, NonResidentialType, Villa, SmallHouse, RowHouse, NonResidentialTags, AttachedPart, ResidentialName,
        NonResidentialName, NonResidentialPoi, NonResidentialLand, InsideCompound, SlabShape, TowerShape, NamedHighRise,
        NamedAmongHousing, EstateOutline, NoEvidence,
        BuildingsSum, AreaDensity, CompoundRemainder,
    ];
}
