namespace GridMap.Core.Sample;

/// <summary>
/// Chinese names for the sample city: real Bozhou names first, then made-up but plausible place names.
/// Every name handed out is unique; repeats get 二期, 三期 … (compounds) or a new place word.
/// </summary>
internal sealed class SampleNames
{
    static readonly string[] StreetPlaces =
    [
        "南白", "桂花桥", "龙坑", "鸭溪", "西坪", "马蹄", "乌江", "团溪", "铁厂", "枫香", "三岔", "茅栗",
        "苟江", "泮水", "石板", "尚嵇", "新民", "平正", "洪关", "龙坪", "三合", "影山湖", "蓝天", "永乐",
    ];

    static readonly string[] CommunityPlaces =
    [
        "南坛", "府前", "银河", "南门", "三桥", "共青", "环城", "团结", "建设", "新华", "文化", "红星",
        "桂花", "凤凰", "育才", "民主", "和平", "朝阳", "东风", "向阳", "中华", "新城", "龙泉", "金鼎",
    ];

    static readonly string[] RoadPlaces =
    [
        "南坛", "府前", "银河", "建设", "人民", "解放", "环城", "文化", "育才", "龙泉", "凤凰", "新华",
        "红星", "中华", "朝阳", "民主", "和平", "桂花", "共青", "三桥", "南门", "东风", "团结", "湘江",
    ];

    static readonly string[] Brands =
    [
        "阳光", "锦绣", "翡翠", "金域", "盛世", "滨江", "世纪", "星河", "名都", "御景", "天悦", "学府",
        "锦江", "中央", "碧水", "蓝湾", "紫薇", "香榭", "云顶", "水岸", "璟园", "凯旋", "华润", "山水",
    ];

    static readonly string[] WorkUnits =
    [
        "化肥厂", "水泥厂", "供电局", "粮食局", "烟草公司", "林业局", "电信局", "农机厂", "酒厂", "氮肥厂",
        "食品公司", "交通局", "税务局", "县医院", "第一中学", "建筑公司", "运输公司", "邮电局", "棉纺厂", "机械厂",
    ];

    static readonly string[] CommercialSuffixes = ["花园", "华府", "国际", "名城", "广场", "新城"];
    static readonly string[] HousingSuffixes = ["苑", "雅苑", "华庭", "家园", "府", "雅居"];
    static readonly string[] Phases = ["二期", "三期", "四期", "五期", "六期", "七期", "八期", "九期"];

    // Second syllables for made-up place names once the real lists run out.
    static readonly string[] FirstChars = ["龙", "凤", "桂", "银", "金", "团", "鸭", "马", "枫", "石", "新", "平", "洪", "乌", "青", "白", "松", "竹", "梅", "兰", "清", "安", "永", "和", "福", "云", "玉", "川"];
    static readonly string[] SecondChars = ["溪", "坪", "江", "山", "湖", "桥", "坑", "关", "水", "塘", "坝", "岗", "林", "园", "湾", "岩", "口", "河", "台", "庄"];

    readonly Random _random;
    readonly HashSet<string> _used = [];
    readonly List<string> _generated;
    int _nextGenerated;

    public SampleNames(Random random)
    {
        _random = random;
        _generated = [.. from a in FirstChars from b in SecondChars select a + b];
        // Fisher–Yates with the shared Random keeps the order deterministic for a seed.
        for (var i = _generated.Count - 1; i > 0; i--)
        {
            var k = _random.Next(i + 1);
            (_generated[i], _generated[k]) = (_generated[k], _generated[i]);
        }
    }

    string Generated()
    {
        var name = _generated[_nextGenerated % _generated.Count];
        var round = _nextGenerated / _generated.Count;
        _nextGenerated++;
        return round == 0 ? name : name + (round + 1);
    }

    /// <summary>A name made of the first unused real word with the suffix, else a generated place word.</summary>
    string FromList(IReadOnlyList<string> words, ref int next, string suffix)
    {
        while (next < words.Count)
        {
            var candidate = words[next++] + suffix;
            if (_used.Add(candidate)) return candidate;
        }
        while (true)
        {
            var candidate = Generated() + suffix;
            if (_used.Add(candidate)) return candidate;
        }
    }

    int _street, _community, _road;

    public string Street() => FromList(StreetPlaces, ref _street, "街道");
    public string Community() => FromList(CommunityPlaces, ref _community, "社区");
    public string Road(string suffix) => FromList(RoadPlaces, ref _road, suffix);
    public string Place() => Generated();

    /// <summary>A compound name typical of its class, e.g. 阳光花园, 化肥厂家属院, 龙坑安置小区.</summary>
    public string Compound(string compoundClass, string localPlace) => Compound(compoundClass, localPlace, 0);

    string Compound(string compoundClass, string localPlace, int attempt)
    {
        string Pick(IReadOnlyList<string> list) => list[_random.Next(list.Count)];
        var name = compoundClass switch
        {
            "commercial_residential" => Pick(Brands) + Pick(CommercialSuffixes),
            "commercial_housing" => Pick(Brands) + Pick(HousingSuffixes),
            "old" => localPlace + (_random.Next(3) == 0 ? "新村" : "小区"),
            "work_unit" => Pick(WorkUnits) + (_random.Next(3) == 0 ? "宿舍" : "家属院"),
            "resettlement" => localPlace + "安置小区",
            "self_built" => localPlace + "自建房片区",
            "affordable" => localPlace + (_random.Next(2) == 0 ? "公租房小区" : "保障房小区"),
            "urban_rural_fringe" => localPlace + "村城乡接合片区",
            "elderly_care" => localPlace + (_random.Next(2) == 0 ? "康养中心" : "颐养苑"),
            _ => Pick(Brands) + "公寓",
        };
        if (_used.Add(name)) return name;
        foreach (var phase in Phases)
            if (_used.Add(name + phase)) return name + phase;
        // A very large city runs out of place names: number the name rather than search for ever.
        if (attempt >= 20)
            for (var k = 2; ; k++)
                if (_used.Add($"{name}{k}区")) return $"{name}{k}区";
        return Compound(compoundClass, Generated(), attempt + 1);
    }
}
