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
///   a school that spans both is decided by its name), else by the name (小学 → primary; 中学, 初中 → middle), else school;</item>
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
        if (name.Contains("小学", StringComparison.Ordinal)) return StationKinds.PrimarySchool;
        if (name.Contains("中学", StringComparison.Ordinal) || name.Contains("初中", StringComparison.Ordinal)) return StationKinds.MiddleSchool;
        return StationKinds.School;
    }
}
