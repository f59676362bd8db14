using System.Globalization;

namespace GridMap.IO.Osm;

/// <summary>Reading common OSM tags: names, numbers, addresses.</summary>
public static class OsmTags
{
    /// <summary>The Chinese name first: <c>name:zh</c>, then <c>name</c>, then <c>name:zh-Hans</c> (an extract may carry an English <c>name</c>).</summary>
    public static string? Name(IReadOnlyDictionary<string, string> tags) =>
        NonEmpty(tags.GetValueOrDefault("name:zh")) ?? NonEmpty(tags.GetValueOrDefault("name"))
        ?? NonEmpty(tags.GetValueOrDefault("name:zh-Hans"));

    /// <summary>The leading number of a value such as "6", "6.5", "6;8" or "18 m"; null when there is none.</summary>
    public static double? LeadingNumber(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim().Replace(',', '.');
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || (text[end] == '.' && end > 0))) end++;
        return end > 0 && double.TryParse(text[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : null;
    }

    /// <summary>
    /// Storeys from <c>building:levels</c>, else <c>height</c> ÷ <paramref name="metresPerLevel"/>, rounded; null when
    /// neither gives a positive number.
    /// </summary>
    public static int? Levels(IReadOnlyDictionary<string, string> tags, double metresPerLevel)
    {
        if (LeadingNumber(tags.GetValueOrDefault("building:levels")) is { } levels && levels >= 0.5 && levels < 1000)
            return (int)Math.Round(levels, MidpointRounding.AwayFromZero);
        if (metresPerLevel > 0 && LeadingNumber(tags.GetValueOrDefault("height")) is { } height && height > 0 && height < 3000)
            return Math.Max(1, (int)Math.Round(height / metresPerLevel, MidpointRounding.AwayFromZero));
        return null;
    }

    /// <summary>
    /// A one-line address from <c>addr:*</c>: <c>addr:full</c> when given, else street (or place) and house number,
    /// run together in Chinese style (人民南路四段12号) or spaced when either part is Latin (Dongli Street 5).
    /// </summary>
    public static string? Address(IReadOnlyDictionary<string, string> tags)
    {
        if (NonEmpty(tags.GetValueOrDefault("addr:full")) is { } full) return full;
        var street = NonEmpty(tags.GetValueOrDefault("addr:street")) ?? NonEmpty(tags.GetValueOrDefault("addr:place"));
        var number = NonEmpty(tags.GetValueOrDefault("addr:housenumber"));
        if (street is null && number is null) return null;
        if (street is null || number is null) return street ?? number;
        var latin = street.Any(char.IsAsciiLetter) || number.Any(char.IsAsciiLetter) && !number.Any(IsCjk);
        return latin ? $"{street} {number}" : street + number;
    }

    static bool IsCjk(char c) => c is >= '\u3400' and <= '\u9fff';

    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
