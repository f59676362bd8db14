using GridMap.Core.Model;

namespace GridMap.Core.Estimation;

/// <summary>
/// The constants households are estimated from where no count is known, with the defaults of
/// ../shared/docs/domain.md ("Estimating households where no count is known"). Every one is configurable.
/// Building types are OSM <c>building=*</c> values, compared case-insensitively.
/// </summary>
public sealed record EstimationOptions
{
    /// <summary>The defaults of domain.md.</summary>
    public static EstimationOptions Default { get; } = new();

    /// <summary>Share of the gross floor area that is dwellings (使用率).</summary>
    public double UsableShare { get; init; } = 0.75;

    /// <summary>Average dwelling size in m² (per household) for apartment-type buildings.</summary>
    public double DwellingSizeM2 { get; init; } = 90;

    /// <summary>Floor area in m² per household for house types (one household each per this much floor area).</summary>
    public double FloorAreaPerHouseM2 { get; init; } = 120;

    /// <summary>Metres per storey: levels = round(height ÷ this) where only <c>height</c> is known.</summary>
    public double MetresPerLevel { get; init; } = 3;

    /// <summary>
    /// Levels where neither <c>building:levels</c> nor <c>height</c> is given, by building type.
    /// The <c>yes</c> entry is the default for <c>building=yes</c> (and any type not listed) inside a residential compound.
    /// </summary>
    public IReadOnlyDictionary<string, int> DefaultLevels { get; init; } =
        new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
        {
            ["apartments"] = 11,
            ["residential"] = 6,
            ["dormitory"] = 6,
            ["yes"] = 6,
            ["house"] = 3,
            ["detached"] = 3,
            ["terrace"] = 3,
            ["semidetached_house"] = 3,
        };

    /// <summary>Levels when the type has no entry in <see cref="DefaultLevels"/> (and no <c>yes</c> entry either).</summary>
    public int FallbackLevels { get; init; } = 1;

    /// <summary>Types that always hold dwellings: area × levels × usable share ÷ dwelling size.</summary>
    public IReadOnlySet<string> ResidentialTypes { get; init; } =
        new HashSet<string>(["apartments", "residential", "dormitory"], StringComparer.OrdinalIgnoreCase);

    /// <summary>House types: one household per <see cref="FloorAreaPerHouseM2"/> of floor area.</summary>
    public IReadOnlySet<string> HouseTypes { get; init; } =
        new HashSet<string>(["house", "detached", "terrace", "semidetached_house"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Types that hold no households. Any other type (<c>yes</c>, or one not listed anywhere) counts as residential
    /// only inside a residential compound when <see cref="UnknownInsideCompoundIsResidential"/> is set.
    /// </summary>
    public IReadOnlySet<string> NonResidentialTypes { get; init; } =
        new HashSet<string>(
        [
            "commercial", "retail", "office", "industrial", "warehouse", "school", "hospital", "university", "college",
            "kindergarten", "public", "civic", "government", "church", "cathedral", "chapel", "mosque", "temple", "shrine",
            "religious", "monastery", "garage", "garages", "carport", "parking", "shed", "hut", "roof", "service",
            "transformer_tower", "water_tower", "tower", "bunker", "train_station", "transportation", "hangar", "hotel",
            "supermarket", "kiosk", "toilets", "stadium", "sports_hall", "sports_centre", "grandstand", "pavilion",
            "barn", "cowshed", "stable", "sty", "greenhouse", "farm_auxiliary", "silo", "storage_tank", "construction",
            "ruins", "bridge", "gatehouse", "fire_station", "museum", "library", "boathouse", "digester", "no",
        ], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A compound's households are the sum over its residential buildings, unless their footprints cover less than this
    /// share of its area (buildings only partly mapped): then the larger of that sum and area × density.
    /// </summary>
    public double MinMappedFootprintShare { get; init; } = 0.10;

    /// <summary><c>building=yes</c> (and unlisted types) inside a residential compound count as residential.</summary>
    public bool UnknownInsideCompoundIsResidential { get; init; } = true;

    /// <summary>Compound density in households per hectare by compound class, for compounds with no residential buildings known inside.</summary>
    public IReadOnlyDictionary<string, double> CompoundDensityPerHa { get; init; } =
        new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
        {
            [CompoundClasses.CommercialResidential] = 200,
            [CompoundClasses.CommercialHousing] = 180,
            [CompoundClasses.Affordable] = 220,
            [CompoundClasses.Resettlement] = 160,
            [CompoundClasses.WorkUnit] = 120,
            [CompoundClasses.Old] = 110,
            [CompoundClasses.SelfBuilt] = 90,
            [CompoundClasses.UrbanRuralFringe] = 60,
            [CompoundClasses.ElderlyCare] = 60,
            [CompoundClasses.Other] = 100,
        };
}
