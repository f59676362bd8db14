using GridMap.Core.Model;

namespace GridMap.IO.Osm;

/// <summary>
/// OSM tags → station kind, exactly as ../shared/docs/domain.md says ("From OpenStreetMap"). The name is read as
/// <c>name:zh</c>, then <c>name</c>, then <c>name:zh-Hans</c>. In this order:
/// <list type="number">
/// <item>any <c>amenity</c> (hospital included) whose name has 社区卫生服务站 → health_station, 社区卫生服务中心 → clinic
///   (服务站 first: 某某社区卫生服务中心东街社区卫生服务站 is a station);</item>
/// <item><c>amenity=community_centre</c> → party_service_centre when the name has 党群, else community_service_station;</item>
/// <item><c>amenity=social_facility</c> + <c>social_facility:for=senior</c> → day_care;</item>
/// <item><c>amenity=clinic|doctors</c> → clinic; <c>amenity=hospital</c> → hospital;</item>
/// <item><c>amenity=school|kindergarten|childcare|college</c>:
///   <list type="bullet">
///   <item>党校, 培训, 进修 or 成人 in the name → other (party schools, training schools, teacher-training and adult
///     schools serve no residential life circle);</item>
///   <item>else the name decides where it says so: 幼儿园 → kindergarten; 小学 → primary_school; 中学, 初中 →
///     middle_school, with the usual short forms (附小, 实小, …小 → primary; 高中, …中 as in 成都十八中 / 成都49中 /
///     成都铁中 → middle). A 中小学 teaches both levels, so its name does not decide;</item>
///   <item>else <c>isced:level</c>: only 0 → kindergarten, only 1 → primary_school, only 2 and/or 3 → middle_school
///     (a school spanning levels, e.g. <c>1-2</c>, is not decided by it);</item>
///   <item>else kindergarten for <c>kindergarten|childcare</c>, school (level unknown) for <c>school|college</c> — so a
///     college or university without a telling name or <c>isced:level</c> is a school, as domain.md says;</item>
///   </list></item>
/// <item><c>amenity=marketplace</c> or <c>shop=supermarket|greengrocer</c> → market; <c>shop=kiosk|convenience</c>
///   (and every other shop) is not a market.</item>
/// </list>
/// Everything else is not a station (null).
/// </summary>
public static class OsmStationKinds
{
    public static string? KindOf(IReadOnlyDictionary<string, string> tags)
    {
        var name = Name(tags) ?? "";
        var amenity = tags.GetValueOrDefault("amenity");
        if (amenity is not null)
        {
            if (name.Contains("社区卫生服务站", StringComparison.Ordinal)) return StationKinds.HealthStation;
            if (name.Contains("社区卫生服务中心", StringComparison.Ordinal)) return StationKinds.Clinic;
        }
        switch (amenity)
        {
            case "community_centre":
                return name.Contains("党群", StringComparison.Ordinal) ? StationKinds.PartyServiceCentre : StationKinds.CommunityServiceStation;
            case "social_facility" when tags.GetValueOrDefault("social_facility:for") == "senior":
                return StationKinds.DayCare;
            case "clinic" or "doctors":
                return StationKinds.Clinic;
            case "hospital":
                return StationKinds.Hospital;
            case "kindergarten" or "childcare":
                return SchoolKind(tags.GetValueOrDefault("isced:level"), name, StationKinds.Kindergarten);
            case "school" or "college":
                return SchoolKind(tags.GetValueOrDefault("isced:level"), name, StationKinds.School);
            case "marketplace":
                return StationKinds.Market;
        }
        return tags.GetValueOrDefault("shop") is "supermarket" or "greengrocer" ? StationKinds.Market : null;
    }

    /// <summary>
    /// The name as domain.md reads it: <c>name:zh</c>, then <c>name</c>, then <c>name:zh-Hans</c> (so 长江路小学 in
    /// <c>name:zh</c> wins over an English <c>name</c>). Kept here, not in <see cref="OsmTags.Name"/>, so the kinds follow
    /// this order whatever order the display name uses.
    /// </summary>
    static string? Name(IReadOnlyDictionary<string, string> tags) =>
        NonEmpty(tags.GetValueOrDefault("name:zh")) ?? NonEmpty(tags.GetValueOrDefault("name"))
        ?? NonEmpty(tags.GetValueOrDefault("name:zh-Hans"));

    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>Not life-circle schools: party schools, training schools, teacher training (进修) and adult schools.</summary>
    static readonly string[] NotLifeCircle = ["党校", "培训", "进修", "成人"];

    /// <summary>The name before any bracket, dash or space: 某某小学（东区） → 某某小学, 成都49中 - No. 49 → 成都49中.</summary>
    static string BaseName(string name)
    {
        var end = name.IndexOfAny(['（', '(', '-', '—', ' ']);
        return (end > 0 ? name[..end] : name).Trim();
    }

    static bool Has(string name, string part) => name.Contains(part, StringComparison.Ordinal);

    static string SchoolKind(string? isced, string name, string fallback)
    {
        if (NotLifeCircle.Any(part => Has(name, part))) return StationKinds.Other;
        if (KindByName(name) is { } byName) return byName;
        if (KindByIsced(isced) is { } byIsced) return byIsced;
        return fallback;
    }

    /// <summary>The kind the name says, or null when it says none (or both primary and middle, as 中小学 does).</summary>
    static string? KindByName(string name)
    {
        if (Has(name, "幼儿园")) return StationKinds.Kindergarten;
        if (Has(name, "中小学")) return null;
        // The usual short forms: 附小, 实小 (= 小学); 成都十八中, 成都49中, 成都铁中 (…中 = 中学).
        var core = BaseName(name);
        if (Has(name, "小学") || Has(name, "附小") || Has(name, "实小") || core.EndsWith('小'))
            return StationKinds.PrimarySchool;
        if (Has(name, "中学") || Has(name, "初中") || Has(name, "高中") || core.EndsWith('中'))
            return StationKinds.MiddleSchool;
        return null;
    }

    /// <summary>
    /// The kind <c>isced:level</c> says ("0", "1", "2", "2;3", "1-2"…: the ISCED levels taught): only pre-primary →
    /// kindergarten, only primary → primary_school, only lower/upper secondary → middle_school; null otherwise.
    /// </summary>
    static string? KindByIsced(string? isced)
    {
        if (string.IsNullOrWhiteSpace(isced)) return null;
        var levels = new HashSet<int>();
        foreach (var part in isced.Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length == 2 && int.TryParse(range[0], out var from) && int.TryParse(range[1], out var to) && from <= to && to - from < 10)
                for (var l = from; l <= to; l++) levels.Add(l);
            else if (int.TryParse(part.Trim(), out var level)) levels.Add(level);
        }
        if (levels.Count == 0) return null;
        if (levels.All(l => l == 0)) return StationKinds.Kindergarten;
        if (levels.All(l => l == 1)) return StationKinds.PrimarySchool;
        if (levels.All(l => l is 2 or 3)) return StationKinds.MiddleSchool;
        return null;
    }
}
