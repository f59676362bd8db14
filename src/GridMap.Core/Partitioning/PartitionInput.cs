using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>An area grids must stay inside (属地管理): usually a community, with its code.</summary>
public sealed record PartitionArea(string Code, Geometry Polygon);

/// <summary>A building (楼栋) to assign: a footprint polygon or a point, its households and, optionally, its compound and stairwells (单元).</summary>
public sealed record PartitionUnit(string Id, int Households, Geometry Geometry, string? Compound = null, IReadOnlyList<BuildingUnit>? Units = null);

/// <summary>A compound (小区); <see cref="Households"/> counts only where no buildings are known inside it.</summary>
public sealed record PartitionCompound(string Id, Geometry Polygon, int? Households = null);

/// <summary>
/// A grid that exists already: its code is kept and, where it still fits, its buildings too. <see cref="Households"/>
/// (as last partitioned) tells a grid nobody touched from one that changed: an untouched grid is left as it is, even out of band.
/// </summary>
public sealed record ExistingGrid(string Code, Geometry Polygon, IReadOnlyList<string> UnitIds, int? Households = null);

/// <summary>Non-residential land (a campus, a hospital, business land, a park) that gets its own dedicated grid (专属网格).</summary>
public sealed record PartitionSpecialArea(string Id, string Kind, string? Name, Geometry Polygon);

/// <summary>Everything the partitioner reads; geometry in lon/lat.</summary>
public sealed record PartitionInput(
    IReadOnlyList<PartitionUnit> Units,
    IReadOnlyList<PartitionArea>? Areas = null,
    IReadOnlyList<PartitionCompound>? Compounds = null,
    IReadOnlyList<Geometry>? Barriers = null,
    IReadOnlyList<ExistingGrid>? Existing = null,
    Bounds? Bounds = null)
{
    /// <summary>Special areas: each piece inside an area becomes one dedicated grid, and basic grids share the rest.</summary>
    public IReadOnlyList<PartitionSpecialArea>? SpecialAreas { get; init; }

    /// <summary>Major roads grid boundaries should follow: crossings are reported (<see cref="PartitionReport.CrossedRoads"/>).</summary>
    public IReadOnlyList<PartitionRoad>? MajorRoads { get; init; }
}

/// <summary>One grid of the result (lon/lat polygon).</summary>
public sealed record GridResult(
    string Code, string Area, Geometry Polygon, int Households, IReadOnlyList<string> UnitIds,
    double PolsbyPopper, OutOfBandReason Reason)
{
    /// <summary>The special area a dedicated grid (专属网格) holds; null for a basic grid.</summary>
    public PartitionSpecialArea? Special { get; init; }

    public string Type => Special is null ? "basic" : "dedicated";
}

public sealed record OutOfBandGrid(string Code, int Households, string Reason);

/// <summary>The report of `gridmap partition --report`: names are the CLI contract.</summary>
public sealed record PartitionReport(
    int Areas, int Units, long Households, int Grids, int InBand, int Below, int Above,
    IReadOnlyList<OutOfBandGrid> OutOfBand, IReadOnlyList<string> InfeasibleUnits, int SplitCompounds,
    int Noncontiguous, double OverlapM2, double GapM2, double PolsbyPopperMean, int? Churn, double Seconds)
{
    /// <summary>Dedicated grids (专属网格): special-area pieces and areas that hold no households; not counted in the band figures.</summary>
    public int Dedicated { get; init; }

    /// <summary>Grids held together by a neck narrower than 10 m (<see cref="NarrowNecks"/>): corridor grids.</summary>
    public IReadOnlyList<NarrowNeck> NarrowNecks { get; init; } = [];

    /// <summary>Buildings split between grids by whole stairwells (given or synthesised), with the grids holding them.</summary>
    public IReadOnlyList<SplitBuilding> SplitBuildings { get; init; } = [];

    /// <summary>Major roads running more than 100 m through a basic grid, each with its reason.</summary>
    public IReadOnlyList<CrossedRoad> CrossedRoads { get; init; } = [];

    /// <summary>Basic grids with more than 20 ha of residential land that hold more than one compound.</summary>
    public IReadOnlyList<LargeGrid> LargeGrids { get; init; } = [];
}

/// <summary>A basic grid with more residential (compound) land than <see cref="MaxResidentialM2"/>, over several compounds.</summary>
public sealed record LargeGrid(string Grid, double Hectares, int Compounds)
{
    public const double MaxResidentialM2 = 200_000;
}

/// <summary>A building whose stairwells went to more than one grid; <see cref="Synthesised"/> when none were given.</summary>
public sealed record SplitBuilding(string Id, int Households, int Units, bool Synthesised, IReadOnlyList<string> Grids);

public sealed record PartitionResult(IReadOnlyList<GridResult> Grids, PartitionReport Report);

public static class OutOfBandReasons
{
    public static string Key(this OutOfBandReason r) => r switch
    {
        OutOfBandReason.AreaBelowMin => "area_below_min",
        OutOfBandReason.OversizedUnit => "oversized_unit",
        OutOfBandReason.NoContiguousFit => "no_contiguous_fit",
        _ => "none",
    };
}
