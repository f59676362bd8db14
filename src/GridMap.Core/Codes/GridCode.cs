using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Codes;

/// <summary>
/// Grid codes (赋码管理): a 12-digit community code + a 3-digit sequence (15 characters);
/// any other area code gets "{area}-{sequence}". Sequences are never reused or renumbered.
/// </summary>
public static partial class GridCode
{
    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex CommunityCodePattern();

    [GeneratedRegex(@"^\d{6}$")]
    private static partial Regex DistrictCodePattern();

    [GeneratedRegex(@"^\d{9}$")]
    private static partial Regex StreetCodePattern();

    public static bool IsDistrictCode(string code) => DistrictCodePattern().IsMatch(code);
    public static bool IsStreetCode(string code) => StreetCodePattern().IsMatch(code);
    public static bool IsCommunityCode(string code) => CommunityCodePattern().IsMatch(code);

    /// <summary>The code of grid number <paramref name="sequence"/> in an area; wider than 3 digits past 999 grids.</summary>
    public static string Format(string areaCode, int sequence, int width = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        var digits = sequence.ToString().PadLeft(Math.Max(width, 3), '0');
        return IsCommunityCode(areaCode) ? areaCode + digits : $"{areaCode}-{digits}";
    }

    /// <summary>The sequence number in a grid code of an area, or null when the code belongs elsewhere.</summary>
    public static int? SequenceOf(string areaCode, string gridCode)
    {
        string rest;
        if (IsCommunityCode(areaCode) && gridCode.Length > 12 && gridCode.StartsWith(areaCode, StringComparison.Ordinal))
            rest = gridCode[12..];
        else if (gridCode.StartsWith(areaCode + "-", StringComparison.Ordinal))
            rest = gridCode[(areaCode.Length + 1)..];
        else return null;
        return int.TryParse(rest, out var n) && n > 0 ? n : null;
    }

    /// <summary>
    /// The next free sequence after the ones in use: new grids never take a retired grid's number.
    /// </summary>
    public static int NextFree(IEnumerable<int> used) => used.DefaultIfEmpty(0).Max() + 1;

    /// <summary>
    /// Orders grid shapes for first numbering: north to south by rows, west to east within a row.
    /// Rows are bands as tall as the median grid, so grids at nearly the same latitude share a row.
    /// </summary>
    public static IReadOnlyList<int> ReadingOrder(IReadOnlyList<Geometry> grids)
    {
        if (grids.Count == 0) return [];
        var centres = grids.Select(g => g.IsEmpty ? new Coordinate(0, 0) : g.Centroid.Coordinate).ToArray();
        var heights = grids.Select(g => g.EnvelopeInternal.Height).Order().ToArray();
        var rowHeight = Math.Max(heights[heights.Length / 2], 1e-9);
        var top = centres.Max(c => c.Y);
        return Enumerable.Range(0, grids.Count)
            .OrderBy(i => (int)Math.Floor((top - centres[i].Y) / rowHeight))
            .ThenBy(i => centres[i].X)
            .ThenByDescending(i => centres[i].Y)
            .ToList();
    }
}
