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

    /// <summary>Smallest piece (m²) of non-residential land that gets a dedicated grid; parks and recreation grounds need more.</summary>
    public const double SpecialAreaMinM2 = 2_000;
    public const double ParkMinM2 = 20_000;

    static readonly HashSet<string> ParkingAmenities = ["parking", "parking_space", "bicycle_parking", "motorcycle_parking"];

    /// <summary>
    /// The special-area kind of a non-residential area (its own dedicated grid, 专属网格), or null: campuses, schools,
    /// hospitals and other amenity areas (not parking), business, industrial, railway and military land, parks and
    /// recreation grounds of at least 2 ha, airports and stations.
    /// </summary>
    public static string? SpecialAreaKind(IReadOnlyDictionary<string, string> tags, double areaM2)
    {
        if (areaM2 < SpecialAreaMinM2) return null;
        switch (tags.GetValueOrDefault("amenity"))
        {
            case "university": return "university";
            case "college": return "college";
            case "school": return "school";
            case "kindergarten" or "childcare": return "kindergarten";
            case "hospital" or "clinic": return "hospital";
            case { Length: > 0 } other when !ParkingAmenities.Contains(other): return "amenity";
        }
        var landuse = tags.GetValueOrDefault("landuse");
        if (landuse is "commercial" or "retail" or "industrial" or "railway" or "military") return landuse;
        if ((tags.GetValueOrDefault("leisure") == "park" || landuse == "recreation_ground") && areaM2 >= ParkMinM2)
            return tags.GetValueOrDefault("leisure") == "park" ? "park" : "recreation_ground";
        if (tags.GetValueOrDefault("aeroway") is "aerodrome" or "terminal" || tags.GetValueOrDefault("railway") == "station"
            || tags.GetValueOrDefault("public_transport") == "station")
            return "transport";
        return null;
    }
}
