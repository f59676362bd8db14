namespace GridMap.Core.Estimation;

/// <summary>
/// What is known about one building whose households nobody counted: its OSM type, name, levels or height, the shape of
/// its footprint (null for a building mapped as a point), its own other tags, the points of interest inside it, the
/// land it stands on, whether it shares a wall with a building judged housing (<see cref="AttachedToHousing"/>) and
/// whether it stands among housing (<see cref="AmongHousing"/>).
/// </summary>
public sealed record BuildingEvidence(
    string? Type,
    string? Name = null,
    int? Levels = null,
    double? HeightM = null,
    FootprintShape? Shape = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    IReadOnlyList<IReadOnlyDictionary<string, string>>? PoisInside = null,
    bool InsideResidentialLand = false,
    bool InsideNonResidentialLand = false,
    bool AttachedToHousing = false,
    bool AmongHousing = false);

/// <summary>An estimate and the rule (<see cref="HouseholdRules"/>) that decided it.</summary>
public sealed record BuildingEstimate(int Households, string Rule)
{
    public bool Residential => Households > 0;
}
