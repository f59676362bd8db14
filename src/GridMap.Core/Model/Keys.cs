namespace GridMap.Core.Model;

/// <summary>A key used as-is in every API, CLI and file, with the label the UI shows.</summary>
public sealed record KeyLabel(string Key, string Label);

/// <summary>Compound (小区) classes, from ../shared/docs/domain.md.</summary>
public static class CompoundClasses
{
    public const string CommercialResidential = "commercial_residential";
    public const string CommercialHousing = "commercial_housing";
    public const string Old = "old";
    public const string WorkUnit = "work_unit";
    public const string Resettlement = "resettlement";
    public const string SelfBuilt = "self_built";
    public const string Affordable = "affordable";
    public const string UrbanRuralFringe = "urban_rural_fringe";
    public const string ElderlyCare = "elderly_care";
    public const string Other = "other";

    public static readonly IReadOnlyList<KeyLabel> All =
    [
        new(CommercialResidential, "商住小区"),
        new(CommercialHousing, "商品住宅"),
        new(Old, "老旧小区"),
        new(WorkUnit, "家属小区"),
        new(Resettlement, "安置小区"),
        new(SelfBuilt, "自建房片区"),
        new(Affordable, "保障性住房"),
        new(UrbanRuralFringe, "城乡接合部"),
        new(ElderlyCare, "康养"),
        new(Other, "其他"),
    ];

    public static bool IsKnown(string? key) => All.Any(k => k.Key == key);
}

/// <summary>Service station kinds with their GB 50180-2018 walking-distance preset (metres).</summary>
public static class StationKinds
{
    public const string PartyServiceCentre = "party_service_centre";
    public const string CommunityServiceStation = "community_service_station";
    public const string GridStation = "grid_station";
    public const string MicroStation = "micro_station";
    public const string Canteen = "canteen";
    public const string DayCare = "day_care";
    public const string HealthStation = "health_station";
    public const string Clinic = "clinic";
    public const string Hospital = "hospital";
    public const string Kindergarten = "kindergarten";
    public const string PrimarySchool = "primary_school";
    public const string MiddleSchool = "middle_school";
    public const string School = "school";
    public const string Market = "market";
    public const string Other = "other";

    public sealed record Kind(string Key, string Label, double? PresetMeters);

    public static readonly IReadOnlyList<Kind> All =
    [
        new(PartyServiceCentre, "党群服务中心", 1000),
        new(CommunityServiceStation, "社区服务站", 300),
        new(GridStation, "网格服务站", 300),
        new(MicroStation, "驿站", 300),
        new(Canteen, "社区食堂 / 老年食堂", 300),
        new(DayCare, "日间照料中心", 300),
        new(HealthStation, "社区卫生服务站", 300),
        new(Clinic, "诊所 / 社区卫生服务中心", 1000),
        new(Hospital, "医院", 1000),
        new(Kindergarten, "幼儿园", 300),
        new(PrimarySchool, "小学", 500),
        new(MiddleSchool, "初中", 1000),
        new(School, "学校", 500),
        new(Market, "菜市场 / 生鲜超市", 500),
        new(Other, "其他", null),
    ];

    public static bool IsKnown(string? key) => All.Any(k => k.Key == key);
}

/// <summary>Life-cycle of a grid.</summary>
public static class GridStatuses
{
    public static readonly IReadOnlyList<string> All = ["active", "draft", "retired"];
}

/// <summary>Kinds of non-residential land that get dedicated grids (专属网格), from ../shared/docs/domain.md's grid types.</summary>
public static class SpecialAreaKinds
{
    public static readonly IReadOnlyList<string> All =
    [
        "university", "college", "school", "kindergarten", "hospital", "amenity", "commercial", "retail", "industrial",
        "railway", "military", "park", "recreation_ground", "transport", "other",
    ];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind);
}
