namespace GridMap.IO.Osm;

/// <summary>
/// OSM areas and points that tell what land and buildings are used for, as evidence for household estimation
/// (../shared/docs/domain.md): land that is not housing (campuses, hospitals, business land, parks, transport), and
/// points of interest that may fill a building (a hotel, a bank).
/// </summary>
public static class OsmLand
{
    static readonly HashSet<string> Landuses = ["commercial", "retail", "industrial", "railway", "military", "construction", "education", "religious", "institutional"];
    static readonly HashSet<string> Leisures = ["park", "stadium", "sports_centre", "pitch", "golf_course"];

    /// <summary>
    /// An area that holds no housing: any <c>amenity</c> area (university, college, school, kindergarten, hospital…),
    /// <c>landuse=commercial|retail|industrial|railway|military…</c>, parks and sports grounds, aeroways, railway stations.
    /// </summary>
    public static bool IsNonResidentialLand(IReadOnlyDictionary<string, string> tags) =>
        tags.GetValueOrDefault("amenity") is { Length: > 0 } amenity && amenity != "parking_entrance"
        || Landuses.Contains(tags.GetValueOrDefault("landuse") ?? "")
        || Leisures.Contains(tags.GetValueOrDefault("leisure") ?? "")
        || tags.GetValueOrDefault("aeroway") is { Length: > 0 }
        || tags.GetValueOrDefault("railway") == "station"
        || tags.GetValueOrDefault("tourism") is "attraction" or "museum" or "zoo" or "theme_park";

    /// <summary>A node that says what a place is used for: any shop, amenity, office, tourism, leisure or healthcare tag.</summary>
    public static bool IsPointOfInterest(IReadOnlyDictionary<string, string> tags) =>
        tags.ContainsKey("shop") || tags.ContainsKey("amenity") || tags.ContainsKey("office") || tags.ContainsKey("tourism")
        || tags.ContainsKey("leisure") || tags.ContainsKey("healthcare");

    /// <summary>A line that bounds a block as a major road does: a river, a canal, a railway (not in a tunnel).</summary>
    public static bool IsBarrierLine(IReadOnlyDictionary<string, string> tags) =>
        (tags.GetValueOrDefault("waterway") is "river" or "canal"
         || tags.GetValueOrDefault("railway") is "rail" or "light_rail" or "narrow_gauge")
        && tags.GetValueOrDefault("tunnel") is null or "no";
}
