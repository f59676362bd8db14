using GridMap.Core.Codes;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Areas;

/// <summary>An administrative boundary read from the data: its level (6 区/县, 8 街道/乡镇, 9–10 社区/村), name, division code as tagged, polygon.</summary>
public sealed record AdminBoundary(string Key, int Level, string Name, string? Ref, Geometry Polygon);

/// <summary>A district, street or community with its code (real, or provisional when the data held none) and its parent's code.</summary>
public sealed record AdminArea(string Key, string Code, string Name, string? Parent, Geometry Polygon, bool Provisional);

public sealed record AdminAreaSet(IReadOnlyList<AdminArea> Districts, IReadOnlyList<AdminArea> Streets, IReadOnlyList<AdminArea> Communities,
    IReadOnlyList<string> Warnings)
{
    public static readonly AdminAreaSet Empty = new([], [], [], []);

    /// <summary>The next provisional district code no area here uses (for land outside every district).</summary>
    public string NextProvisionalDistrict => AdminAreas.NextProvisionalDistrict(Districts.Select(d => d.Code));
}

/// <summary>
/// Codes for administrative boundaries (contract, "Provisional areas"): a boundary's tagged division code when it is one
/// of the right length for its level — 6 digits for a district, 9 for a street, 12 for a community (a 12-digit
/// statistics code padded with zeros counts for the level it pads) — else a provisional one in the ranges real codes do
/// not use: district <c>99xxxx</c>, street district + <c>9xx</c>, community street + <c>9xx</c>, numbered in reading
/// order (west→east, north→south). Streets and communities take the parent whose polygon holds their inside point.
/// Level 9 is rarely used in China (level 10 is 社区/村): a level-9 boundary is a community only where level-10 ones do
/// not cover most of it.
/// </summary>
public static class AdminAreas
{
    /// <summary>The street part of a community that lies in no street (a provisional number, no street feature).</summary>
    public const string NoStreet = "900";

    public static AdminAreaSet Code(IReadOnlyList<AdminBoundary> boundaries)
    {
        var warnings = new List<string>();
        var districts = boundaries.Where(b => b.Level <= 6).ToList();
        var streets = boundaries.Where(b => b.Level is 7 or 8).ToList();
        var tens = boundaries.Where(b => b.Level >= 10).ToList();
        var tenUnion = tens.Count == 0 ? null : UnaryUnionOp.Union(tens.Select(t => t.Polygon).ToList());
        var communities = tens.Concat(boundaries.Where(b => b.Level == 9 && (tenUnion is null || b.Polygon.Intersection(tenUnion).Area < 0.5 * b.Polygon.Area))).ToList();

        var codedDistricts = new List<AdminArea>();
        foreach (var i in GridCode.ReadingOrder(districts.Select(d => d.Polygon).ToList()))
        {
            var d = districts[i];
            var code = DivisionCode(d.Ref, 6);
            if (code is not null && codedDistricts.Any(x => x.Code == code)) code = null; // a second boundary with the same code
            codedDistricts.Add(new AdminArea(d.Key, code ?? "", d.Name, null, d.Polygon, code is null));
        }
        for (var k = 0; k < codedDistricts.Count; k++)
            if (codedDistricts[k].Provisional)
                codedDistricts[k] = codedDistricts[k] with { Code = NextProvisionalDistrict(codedDistricts.Select(d => d.Code)) };

        // Streets and communities outside every district still need a district prefix: a provisional district of their own.
        var orphanDistrict = NextProvisionalDistrict(codedDistricts.Select(d => d.Code));
        var codedStreets = Children(streets, codedDistricts, 9, orphanDistrict, warnings);
        var codedCommunities = Children(communities, codedStreets, 12, null, warnings, codedDistricts, orphanDistrict);

        var orphans = codedStreets.Where(s => s.Parent == orphanDistrict).Select(s => s.Polygon)
            .Concat(codedCommunities.Where(c => c.Code.StartsWith(orphanDistrict, StringComparison.Ordinal)).Select(c => c.Polygon)).ToList();
        if (orphans.Count > 0)
            codedDistricts.Add(new AdminArea($"provisional/{orphanDistrict}", orphanDistrict, "暂定区域", null, UnaryUnionOp.Union(orphans), true));
        return new AdminAreaSet(codedDistricts, codedStreets, codedCommunities, warnings);
    }

    /// <summary>
    /// Streets under districts (<paramref name="digits"/> 9) or communities under streets (12): the tagged code, else the
    /// parent's code + 9xx. A community in no street takes its district's code + <see cref="NoStreet"/> + 9xx.
    /// </summary>
    static List<AdminArea> Children(List<AdminBoundary> children, IReadOnlyList<AdminArea> parents, int digits, string? orphanPrefix,
        List<string> warnings, IReadOnlyList<AdminArea>? grandparents = null, string? orphanGrandparent = null)
    {
        var prepared = parents.Select(p => PreparedGeometryFactory.Prepare(p.Polygon)).ToArray();
        var preparedUp = (grandparents ?? []).Select(p => PreparedGeometryFactory.Prepare(p.Polygon)).ToArray();
        var result = new List<AdminArea>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var pending = new List<(AdminBoundary Boundary, string Prefix)>();
        foreach (var i in GridCode.ReadingOrder(children.Select(c => c.Polygon).ToList()))
        {
            var child = children[i];
            var inside = child.Polygon.InteriorPoint;
            var parent = Enumerable.Range(0, parents.Count).Where(k => prepared[k].Covers(inside)).Select(k => parents[k].Code).FirstOrDefault();
            var code = DivisionCode(child.Ref, digits);
            if (code is not null && used.Add(code))
            {
                // A real code names its parent itself (the containing area may be a provisional one).
                result.Add(new AdminArea(child.Key, code, child.Name, code[..(digits - 3)], child.Polygon, false));
                continue;
            }
            var prefix = parent ?? orphanPrefix;
            if (prefix is null)
            {
                // A community in no street: its district (or the provisional one) + 900 as the street part.
                var district = Enumerable.Range(0, preparedUp.Length).Where(k => preparedUp[k].Covers(inside)).Select(k => grandparents![k].Code).FirstOrDefault();
                prefix = (district ?? orphanGrandparent!) + NoStreet;
            }
            pending.Add((child, prefix));
        }
        foreach (var group in pending.GroupBy(p => p.Prefix))
        {
            var next = 901;
            foreach (var (child, prefix) in group)
            {
                while (next <= 999 && used.Contains($"{prefix}{next:000}")) next++;
                if (next > 999)
                {
                    warnings.Add($"{child.Key} ({child.Name}): more than 99 provisional codes under {prefix}: skipped");
                    continue;
                }
                var code = $"{prefix}{next++:000}";
                used.Add(code);
                // A community in no street names no street (its code's street part is a placeholder).
                var parent = prefix.EndsWith(NoStreet, StringComparison.Ordinal) && prefix.Length == 9 && digits == 12
                    && !parents.Any(p => p.Code == prefix) ? null : prefix;
                result.Add(new AdminArea(child.Key, code, child.Name, parent, child.Polygon, true));
            }
        }
        return result;
    }

    /// <summary>
    /// A tagged division code for a level of <paramref name="digits"/> (6, 9 or 12), or null. A 12-digit statistics code
    /// padded with zeros (510104000000, 510104021000) counts for the shorter level it pads; spaces are ignored.
    /// </summary>
    public static string? DivisionCode(string? value, int digits)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var code = value.Replace(" ", "", StringComparison.Ordinal).Trim();
        if (code.Length == 0 || !code.All(char.IsAsciiDigit)) return null;
        if (code.Length > digits && code.Length is 9 or 12 && code[digits..].All(c => c == '0')) code = code[..digits];
        if (code.Length != digits || code.StartsWith("99", StringComparison.Ordinal)) return null; // 99xxxx is the provisional range
        if (code[..2] == "00" || (digits > 6 && code[6..9] == "000") || (digits > 9 && code[9..12] == "000")) return null;
        return code;
    }

    /// <summary>990001, 990002, … : the first provisional district code not in <paramref name="used"/>.</summary>
    public static string NextProvisionalDistrict(IEnumerable<string> used)
    {
        var taken = used.ToHashSet(StringComparer.Ordinal);
        for (var k = 1; k <= 9999; k++)
        {
            var code = $"99{k:0000}";
            if (!taken.Contains(code)) return code;
        }
        throw new InvalidOperationException("no provisional district code left");
    }
}
