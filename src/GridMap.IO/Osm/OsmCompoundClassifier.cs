using GridMap.Core.Model;

namespace GridMap.IO.Osm;

/// <summary>
/// Guesses a compound's class from its name. OSM has no tag for it, so this is a first guess for the user to correct.
/// The rule, first match wins:
/// <list type="number">
/// <item>安置 (resettlement housing) → resettlement;</item>
/// <item>家属 or 宿舍 (work-unit family housing / dormitories) → work_unit;</item>
/// <item>村 or 自建 (villages, self-built houses) → self_built;</item>
/// <item>保障, 公租 or 廉租 (affordable / public-rental housing) → affordable;</item>
/// <item>康养 or 养老 (elderly care) → elderly_care;</item>
/// <item>花园, 苑, 城, 府 or 园 (developers' names) → commercial_housing;</item>
/// <item>anything else, and unnamed compounds → other.</item>
/// </list>
/// </summary>
public static class OsmCompoundClassifier
{
    static readonly (string[] Words, string Class)[] Rules =
    [
        (["安置"], CompoundClasses.Resettlement),
        (["家属", "宿舍"], CompoundClasses.WorkUnit),
        (["村", "自建"], CompoundClasses.SelfBuilt),
        (["保障", "公租", "廉租"], CompoundClasses.Affordable),
        (["康养", "养老"], CompoundClasses.ElderlyCare),
        (["花园", "苑", "城", "府", "园"], CompoundClasses.CommercialHousing),
    ];

    public static string ClassOf(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return CompoundClasses.Other;
        foreach (var (words, cls) in Rules)
        {
            if (words.Any(w => name.Contains(w, StringComparison.Ordinal))) return cls;
        }
        return CompoundClasses.Other;
    }
}
