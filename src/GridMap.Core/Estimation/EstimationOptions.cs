using GridMap.Core.Model;

namespace GridMap.Core.Estimation;

/// <summary>
/// The constants households are estimated from where no count is known, with the defaults of
/// ../shared/docs/domain.md ("Estimating households where no count is known"). Every one is configurable, from code or
/// from a JSON file (<see cref="EstimationOptionsJson"/>). Building types are OSM <c>building=*</c> values and words are
/// matched in names, all case-insensitively.
/// </summary>
public sealed record EstimationOptions
{
    /// <summary>The defaults of domain.md.</summary>
    public static EstimationOptions Default { get; } = new();

    static HashSet<string> Set(params string[] values) => new(values, StringComparer.OrdinalIgnoreCase);

    // ---- how many households a residential building holds ----

    /// <summary>Share of the gross floor area that is dwellings (使用率).</summary>
    public double UsableShare { get; init; } = 0.75;

    /// <summary>Average dwelling size in m² (per household) for apartment-type buildings.</summary>
    public double DwellingSizeM2 { get; init; } = 90;

    /// <summary>Floor area in m² per household for row houses (<see cref="RowHouseTypes"/>).</summary>
    public double FloorAreaPerHouseM2 { get; init; } = 120;

    /// <summary>Metres per storey: levels = round(height ÷ this) where only <c>height</c> is known.</summary>
    public double MetresPerLevel { get; init; } = 3;

    /// <summary>
    /// Levels where neither <c>building:levels</c> nor <c>height</c> is given, by building type. The <c>yes</c> entry is
    /// the default for <c>building=yes</c> and any type not listed. A file's entries merge with these.
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
            ["villa"] = 3,
            ["terrace"] = 3,
            ["semidetached_house"] = 3,
        };

    /// <summary>Levels when the type has no entry in <see cref="DefaultLevels"/> (and no <c>yes</c> entry either).</summary>
    public int FallbackLevels { get; init; } = 1;

    // ---- which buildings are residential ----

    /// <summary>Types that always hold dwellings: area × levels × usable share ÷ dwelling size.</summary>
    public IReadOnlySet<string> ResidentialTypes { get; init; } = Set("apartments", "residential", "dormitory");

    /// <summary>Villa types (别墅): one household each, whatever their size.</summary>
    public IReadOnlySet<string> VillaTypes { get; init; } = Set("villa", "detached", "semidetached_house");

    /// <summary>
    /// Types that are one house when small: one household up to <see cref="HouseMaxFootprintM2"/>; larger ones (Chinese OSM
    /// uses <c>house</c> loosely — a 16,000 m² supermarket in Chengdu is one) are judged on evidence like <c>yes</c>.
    /// </summary>
    public IReadOnlySet<string> HouseTypes { get; init; } = Set("house");

    /// <summary>Footprint (m²) up to which a <see cref="HouseTypes"/> building is one household.</summary>
    public double HouseMaxFootprintM2 { get; init; } = 300;

    /// <summary>Row houses: one household per <see cref="FloorAreaPerHouseM2"/> of floor area.</summary>
    public IReadOnlySet<string> RowHouseTypes { get; init; } = Set("terrace");

    /// <summary>Types that hold no households. Any other type (<c>yes</c>, or one not listed anywhere) is judged on evidence.</summary>
    public IReadOnlySet<string> NonResidentialTypes { get; init; } = Set(
        "commercial", "retail", "office", "industrial", "warehouse", "school", "hospital", "university", "college",
        "kindergarten", "public", "civic", "government", "church", "cathedral", "chapel", "mosque", "temple", "shrine",
        "religious", "monastery", "garage", "garages", "carport", "parking", "shed", "hut", "roof", "service",
        "transformer_tower", "water_tower", "tower", "bunker", "train_station", "transportation", "hangar", "hotel",
        "supermarket", "kiosk", "toilets", "stadium", "sports_hall", "sports_centre", "grandstand", "pavilion",
        "barn", "cowshed", "stable", "sty", "greenhouse", "farm_auxiliary", "silo", "storage_tank", "construction",
        "ruins", "bridge", "gatehouse", "fire_station", "museum", "library", "boathouse", "digester", "no", "factory",
        "manufacture", "clinic", "dormitory_school", "gymnasium", "theatre", "cinema", "bank", "mall", "market");

    /// <summary>Words that make a name residential whatever else it says: 医院宿舍 is a hospital's dormitory, housing.</summary>
    public IReadOnlySet<string> StrongResidentialNameWords { get; init; } = Set("宿舍", "家属", "住宅", "公寓", "职工", "住户");

    /// <summary>Words that make a name non-residential (checked after <see cref="StrongResidentialNameWords"/>).</summary>
    public IReadOnlySet<string> NonResidentialNameWords { get; init; } = Set(
        "酒店", "宾馆", "饭店", "旅馆", "招待所", "学校", "学院", "大学", "中学", "小学", "幼儿园", "医院", "卫生", "诊所",
        "食堂", "餐厅", "中心", "博物馆", "美术馆", "展览", "图书馆", "文化馆", "体育馆", "剧院", "影城", "电影院", "银行",
        "商场", "商城", "超市", "市场", "广场", "写字楼", "办公", "大厦", "公司", "集团", "工厂", "厂房", "车间", "仓库",
        "政府", "委员会", "派出所", "公安", "法院", "检察院", "税务", "邮局", "车站", "停车", "教学楼", "实验楼", "寺",
        "教堂", "大楼", "研究所", "研究院", "设计院", "馆", "天街", "商厦", "商务", "写字", "盥洗", "厕所", "卫生间", "门卫", "传达室",
        "配电", "锅炉", "站", "堂", "百货", "购物", "hotel", "hospital", "school", "university", "college", "bank", "mall", "plaza", "office", "center",
        "centre", "museum", "station", "church", "temple", "market", "library", "tower");

    /// <summary>Words that make a name residential (小区, 花园…), checked after <see cref="NonResidentialNameWords"/>.</summary>
    public IReadOnlySet<string> ResidentialNameWords { get; init; } = Set(
        "小区", "花园", "苑", "新村", "家园", "住宅楼", "居民楼", "公馆", "府", "院落", "佳园", "雅居", "名居", "山庄", "新城",
        "名邸", "公寓", "garden", "apartment", "residence", "homes", "villa");

    /// <summary>Numbered buildings of a housing estate: 3栋, 12幢, 5号楼, 二单元, 7-2栋 (a regular expression).</summary>
    public string NumberedBuildingPattern { get; init; } = @"[0-9０-９一二三四五六七八九十百A-Za-z][-－0-9０-９]*\s*(栋|幢|号楼|单元|#楼)";

    /// <summary>Words in a name that make it a villa (one household).</summary>
    public IReadOnlySet<string> VillaNameWords { get; init; } = Set("别墅");

    /// <summary>
    /// OSM keys that make a building (its own tags) non-residential: a building tagged <c>shop=*</c> is a shop. Values
    /// in <see cref="HarmlessTagValues"/> do not count.
    /// </summary>
    public IReadOnlySet<string> NonResidentialTagKeys { get; init; } = Set(
        "shop", "office", "amenity", "tourism", "leisure", "craft", "healthcare", "industrial", "man_made", "public_transport", "railway", "aeroway", "military");

    /// <summary><c>key=value</c> pairs that do not make a building non-residential (a parking entrance, a post box).</summary>
    public IReadOnlySet<string> HarmlessTagValues { get; init; } = Set(
        "amenity=parking_entrance", "amenity=bench", "amenity=waste_basket", "amenity=post_box", "amenity=recycling",
        "amenity=bicycle_parking", "amenity=vending_machine", "amenity=shelter", "leisure=garden", "leisure=playground");

    /// <summary>
    /// Points of interest that, found inside a building, make it non-residential (a hotel or museum fills its building;
    /// a ground-floor shop under flats, 底商, does not, so <c>shop=*</c> is not listed). <c>key=value</c> or <c>key=*</c>.
    /// </summary>
    public IReadOnlySet<string> NonResidentialPoiTags { get; init; } = Set(
        "tourism=hotel", "tourism=motel", "tourism=museum", "tourism=gallery", "amenity=school", "amenity=university",
        "amenity=college", "amenity=kindergarten", "amenity=hospital", "amenity=bank", "amenity=townhall",
        "amenity=police", "amenity=courthouse", "amenity=library", "amenity=theatre", "amenity=cinema",
        "amenity=place_of_worship", "amenity=marketplace", "amenity=fire_station", "amenity=arts_centre",
        "shop=mall", "shop=department_store", "shop=supermarket", "office=government", "office=company", "leisure=sports_centre");

    /// <summary>A residential or house type inside land of these kinds still counts; an untyped building there does not.</summary>
    public bool UntypedInsideNonResidentialLandIsResidential { get; init; } = false;

    /// <summary><c>building=yes</c> (and unlisted types) inside a residential compound or landuse count as residential.</summary>
    public bool UnknownInsideCompoundIsResidential { get; init; } = true;

    // ---- parts of a block mapped as buildings of their own ----

    /// <summary>
    /// An untyped building up to this footprint (m²) that shares a wall with housing is a part of that block — a
    /// dormitory's washroom wing, the corridor joining it — and is housing like it; a larger one is a block of its own.
    /// </summary>
    public double AttachedPartMaxFootprintM2 { get; init; } = 200;

    /// <summary>Shortest wall (m) a part must share with its block: footprints touching at a corner are not joined.</summary>
    public double AttachedPartMinSharedWallM { get; init; } = 2;

    /// <summary>How far apart (m) two walls may be drawn and still be one shared wall (footprints mapped separately rarely meet exactly).</summary>
    public double SharedWallToleranceM { get; init; } = 0.5;

    /// <summary>
    /// Words that name a part of a building, not a use: a part so named (盥洗室, 过道) that shares a wall with housing is
    /// housing, though 盥洗 or 卫生间 alone (a freestanding washroom block) is not. An unnamed part needs no word.
    /// </summary>
    public IReadOnlySet<string> BuildingPartNameWords { get; init; } = Set("盥洗", "洗漱", "卫生间", "过道", "走廊", "连廊", "楼梯", "电梯", "门厅");

    // ---- the company a building keeps ----

    /// <summary>
    /// A named building that nothing else decided — its name says no use, no point of interest, no land — is housing
    /// when it stands among housing: at least <see cref="NamedAmongHousingMinNeighbours"/> buildings judged housing on
    /// their own evidence within <see cref="NamedAmongHousingRadiusM"/> metres, making at least
    /// <see cref="NamedAmongHousingMinShare"/> of the buildings there. Estates carry a developer's name (旭和倾城); shops,
    /// offices and hotels among housing say what they are (大厦, 中心, 酒店…).
    /// </summary>
    public double NamedAmongHousingRadiusM { get; init; } = 50;
    public int NamedAmongHousingMinNeighbours { get; init; } = 3;
    public double NamedAmongHousingMinShare { get; init; } = 0.6;

    // ---- the shape of housing (metres, m²; of the minimum rotated rectangle around the footprint) ----

    /// <summary>Slab (板楼) depth range: the short side of the footprint's rectangle; Chinese housing is lit from both sides.</summary>
    public double SlabMinDepthM { get; init; } = 9;
    public double SlabMaxDepthM { get; init; } = 16;

    /// <summary>A slab is at least this long (a shorter block of that depth is a house, a kiosk, a shed).</summary>
    public double SlabMinLengthM { get; init; } = 24;

    /// <summary>Footprint range (m²) of a housing slab or tower.</summary>
    public double HousingMinFootprintM2 { get; init; } = 200;
    public double HousingMaxFootprintM2 { get; init; } = 2500;

    /// <summary>Footprint ÷ its rectangle: housing is near-rectangular (or a few rectangles joined).</summary>
    public double HousingMinRectangularity { get; init; } = 0.65;

    /// <summary>Point tower (点式高层): side range of a near-square footprint and the levels it needs (known, not defaulted).</summary>
    public double TowerMinSideM { get; init; } = 15;
    public double TowerMaxSideM { get; init; } = 45;
    public double TowerMaxAspect { get; init; } = 2.0;
    public int TowerMinLevels { get; init; } = 8;

    /// <summary>
    /// A named high-rise (at least <see cref="TowerMinLevels"/> known levels) whose name says nothing non-residential is
    /// housing: offices and hotels carry their use in their names (大厦, 中心, 酒店…), estates a developer's name.
    /// </summary>
    public bool NamedHighRiseIsResidential { get; init; } = true;

    /// <summary>
    /// A "building" this large (m²) with no known levels is an estate's outline, not one building (Chinese OSM maps
    /// whole estates as <c>building=residential</c>): when residential, its households are area × the density of
    /// <see cref="EstateClass"/>, not footprint × levels.
    /// </summary>
    public double EstateMinFootprintM2 { get; init; } = 4000;
    public string EstateClass { get; init; } = CompoundClasses.CommercialHousing;

    // ---- compounds ----

    /// <summary>
    /// A compound's households are the sum over its residential buildings when their footprints cover at least this
    /// share of its land; otherwise area × density gives its total and the households not in mapped buildings are held
    /// by one synthetic <c>compound_remainder</c> unit in its unmapped land.
    /// </summary>
    public double MinMappedFootprintShare { get; init; } = 0.10;

    /// <summary>Compound density in households per hectare by compound class. A file's entries merge with these.</summary>
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

    // ---- stairwells ----

    /// <summary>
    /// A building (or compound remainder) above this many households with no stairwells (单元) given gets synthesised
    /// ones of about <see cref="SynthesisedUnitHouseholds"/> each, so a grid can take whole stairwells of it.
    /// </summary>
    public int SynthesiseUnitsAbove { get; init; } = 300;

    /// <summary>Households per synthesised stairwell: k = ceil(households ÷ this).</summary>
    public int SynthesisedUnitHouseholds { get; init; } = 50;
}
