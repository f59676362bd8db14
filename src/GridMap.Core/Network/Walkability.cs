namespace GridMap.Core.Model;

/// <summary>
/// The one walkability rule every feature uses: a line is walkable unless foot=no or access=no|private;
/// motorway and trunk (and their links) only with foot=yes or a sidewalk tag.
/// </summary>
public static class Walkability
{
    static readonly HashSet<string> NotForWalking =
        ["motorway", "motorway_link", "trunk", "trunk_link"];

    // Highway values that are not ways at all (areas under construction, proposals, services without paths).
    static readonly HashSet<string> NotAWay = ["proposed", "construction", "abandoned", "disused", "razed", "bus_stop", "platform", "raceway", "bus_guideway"];

    static readonly HashSet<string> NoSidewalk = ["no", "none", "separate"];

    public static bool IsWalkable(IReadOnlyDictionary<string, string> tags)
    {
        if (!tags.TryGetValue("highway", out var highway) || string.IsNullOrEmpty(highway)) return false;
        if (NotAWay.Contains(highway)) return false;
        var foot = tags.GetValueOrDefault("foot");
        if (foot == "no") return false;
        if (tags.GetValueOrDefault("access") is "no" or "private" && foot is not ("yes" or "designated" or "permissive")) return false;
        if (NotForWalking.Contains(highway))
            return foot is "yes" or "designated" or "permissive" || HasSidewalk(tags);
        return true;
    }

    static bool HasSidewalk(IReadOnlyDictionary<string, string> tags) =>
        tags.Any(t => t.Key.StartsWith("sidewalk", StringComparison.Ordinal) && !NoSidewalk.Contains(t.Value));
}
