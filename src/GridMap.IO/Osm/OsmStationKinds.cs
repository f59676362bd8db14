using GridMap.Core.Model;

namespace GridMap.IO.Osm;

/// <summary>
/// OSM tags → station kind, exactly as ../shared/docs/domain.md says ("From OpenStreetMap"):
/// <list type="bullet">
/// <item><c>amenity=community_centre</c> → party_service_centre when the name has 党群, else community_service_station;</item>
/// <item><c>amenity=social_facility</c> + <c>social_facility:for=senior</c> → day_care;</item>
/// <item><c>amenity=clinic|doctors</c> → clinic; <c>amenity=hospital</c> → hospital;</item>
/// <item><c>amenity=kindergarten|childcare</c> → kindergarten;</item>
/// <item><c>amenity=school</c> → primary_school / middle_school by <c>isced:level</c> (1 → primary; 2 or 3 → middle;
///   a school that spans both is decided by its name), else by the name (小学 → primary; 中学, 初中 → middle, with the
///   usual short forms: 附小, 实小, …小 → primary; 高中, …中 as in 成都十八中 / 成都49中 / 成都铁中 → middle), else school.
///   A school named 幼儿园 stays school: the tags say school;</item>
/// <item><c>amenity=marketplace</c> or <c>shop=supermarket|greengrocer</c> → market.</item>
/// </list>
/// Every other amenity is not a station (null).
/// </summary>
public static class OsmStationKinds
{
    public static string? KindOf(IReadOnlyDictionary<string, string> tags)
    {
        var name = OsmTags.Name(tags) ?? "";
        var amenity = tags.GetValueOrDefault("amenity");
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
                return StationKinds.Kindergarten;
            case "school":
                return SchoolKind(tags.GetValueOrDefault("isced:level"), name);
            case "marketplace":
                return StationKinds.Market;
        }
        return tags.GetValueOrDefault("shop") is "supermarket" or "greengrocer" ? StationKinds.Market : null;
    }

    /// <summary>The name before any bracket, dash or space: 某某小学（东区） → 某某小学, 成都49中 - No. 49 → 成都49中.</summary>
    static string BaseName(string name)
    {
        var end = name.IndexOfAny(['（', '(', '-', '—', ' ']);
        return (end > 0 ? name[..end] : name).Trim();
    }

    static string SchoolKind(string? isced, string name)
    {
        if (!string.IsNullOrWhiteSpace(isced))
        {
            // "1", "2", "2;3", "1-2"… : the ISCED levels the school teaches.
            var primary = isced.Contains('1');
            var secondary = isced.Contains('2') || isced.Contains('3');
            if (primary && !secondary) return StationKinds.PrimarySchool;
            if (secondary && !primary) return StationKinds.MiddleSchool;
        }
        // The name, with the usual short forms: 成都十八中, 成都49中, 成都铁中 (…中 = 中学); 附小, 实小 (= 小学).
        var core = BaseName(name);
        if (name.Contains("小学", StringComparison.Ordinal) || name.Contains("附小", StringComparison.Ordinal)
            || name.Contains("实小", StringComparison.Ordinal) || core.EndsWith('小'))
            return StationKinds.PrimarySchool;
        if (name.Contains("中学", StringComparison.Ordinal) || name.Contains("初中", StringComparison.Ordinal)
            || name.Contains("高中", StringComparison.Ordinal) || core.EndsWith('中'))
            return StationKinds.MiddleSchool;
        return StationKinds.School;
    }
}
