using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>
/// Puts building footprints into lattice cells. A footprint always stays a margin inside its cell
/// (and, for houses, inside its sub-cell), so footprints never overlap and internal paths along the
/// lattice lines run between buildings.
/// </summary>
internal sealed class BuildingPlacer(SamplePlan plan)
{
    /// <summary>Distance from a gated compound's cell edge to its buildings; compound walls sit 10 m from roads.</summary>
    public const double WalledMargin = 11;
    /// <summary>Self-built houses crowd closer to the lanes.</summary>
    public const double OpenMargin = 4;

    static readonly GeometryFactory Metric = new();
    readonly Random _random = plan.Random;

    /// <summary>One tall apartment block (18–33 levels; fewer for affordable and resettlement housing).</summary>
    public PlannedBuilding? Tower(PlannedCompound compound, int cell)
    {
        var quad = Quad(cell);
        var (minLevels, maxLevels) = compound.Class switch
        {
            CompoundClasses.Affordable => (11, 18),
            CompoundClasses.Resettlement => (11, 26),
            _ => (18, 33),
        };
        var levels = _random.Next(minLevels, maxLevels + 1);
        // (units, households per floor per unit, length, depth): a point tower or a slab of 2 stairwells;
        // lower-rise affordable and resettlement blocks are sometimes 3-stairwell slabs.
        var lowRise = compound.Class is CompoundClasses.Affordable or CompoundClasses.Resettlement;
        var (units, perFloor, length, depth) = _random.Next(lowRise ? 3 : 2) switch
        {
            0 => (1, 4, 24.0, 22.0),
            1 => (2, 2, 31.0, 15.0),
            _ => (3, 2, 45.0, 15.0),
        };
        var footprint = Rectangle(quad, 0.5, 0.5, length, depth, WalledMargin, null, 0);
        if (footprint is null) return null;
        return Add(compound, cell, footprint, "apartments", levels, Enumerable.Repeat(levels * perFloor, units).ToArray(), range: (minLevels, maxLevels));
    }

    /// <summary>Walk-up slabs of 5–7 levels (3–6 for elderly care): two per cell, or one long one.</summary>
    public IEnumerable<PlannedBuilding> Slabs(PlannedCompound compound, int cell)
    {
        var quad = Quad(cell);
        var (minLevels, maxLevels) = compound.Class == CompoundClasses.ElderlyCare ? (3, 6) : (5, 7);
        var rows = _random.Next(10) < 7 ? new[] { 0.28, 0.72 } : [0.5];
        foreach (var t in rows)
        {
            var units = rows.Length == 1 ? _random.Next(3, 5) : _random.Next(2, 4);
            var levels = _random.Next(minLevels, maxLevels + 1);
            var footprint = Rectangle(quad, 0.5, t, units * 11.5, 11.5, WalledMargin, null, 0);
            if (footprint is null) continue;
            yield return Add(compound, cell, footprint, "residential", levels, Enumerable.Repeat(levels * 2, units).ToArray(), range: (minLevels, maxLevels));
        }
    }

    /// <summary>Self-built houses on a 3 × 3 pattern of plots, 1–4 levels and 1–4 households each.</summary>
    public IEnumerable<PlannedBuilding> Houses(PlannedCompound compound, int cell)
    {
        var quad = Quad(cell);
        var fringe = compound.Class == CompoundClasses.UrbanRuralFringe;
        for (var row = 0; row < 3; row++)
        for (var col = 0; col < 3; col++)
        {
            if (_random.NextDouble() < (fringe ? 0.25 : 0.15)) continue; // vegetable plots, yards
            var levels = fringe ? _random.Next(1, 4) : 1 + Math.Min(3, (int)(_random.NextDouble() * 4.2));
            var households = Math.Clamp(levels - _random.Next(2), 1, 4);
            var sub = new[]
            {
                Bilinear(quad, col / 3.0, row / 3.0), Bilinear(quad, (col + 1) / 3.0, row / 3.0),
                Bilinear(quad, (col + 1) / 3.0, (row + 1) / 3.0), Bilinear(quad, col / 3.0, (row + 1) / 3.0),
            };
            var length = 8.5 + 4 * _random.NextDouble();
            var depth = 8.5 + 4 * _random.NextDouble();
            var footprint = Rectangle(quad, (col + 0.5) / 3, (row + 0.5) / 3, length, depth, OpenMargin, sub, 1.5);
            if (footprint is null) continue;
            yield return Add(compound, cell, footprint, levels <= 3 ? "house" : "residential", levels, [], households);
        }
    }

    PlannedBuilding Add(PlannedCompound compound, int cell, Polygon footprint, string type, int levels, int[] units, int? households = null, (int, int)? range = null)
    {
        var building = new PlannedBuilding(compound, cell, footprint, type, levels, units, households ?? units.Sum()) { LevelRange = range ?? (levels, levels) };
        compound.Buildings.Add(building);
        plan.Buildings.Add(building);
        (plan.CellBuildings[cell] ??= []).Add(building);
        return building;
    }

    Coordinate[] Quad(int cell)
    {
        var (i, j) = plan.Layout.CellOf(cell);
        return plan.Layout.CellQuad(i, j);
    }

    /// <summary>
    /// A rectangle centred at (s, t) of the cell, aligned with the cell's west–east axis give or take 3°,
    /// shrunk until it keeps <paramref name="margin"/> from every cell edge (and the sub-cell's); null if it cannot.
    /// </summary>
    Polygon? Rectangle(Coordinate[] quad, double s, double t, double length, double depth, double margin, Coordinate[]? sub, double subMargin)
    {
        var centre = Bilinear(quad, s, t);
        var axisX = (quad[1].X - quad[0].X + quad[2].X - quad[3].X) / 2;
        var axisY = (quad[1].Y - quad[0].Y + quad[2].Y - quad[3].Y) / 2;
        var angle = Math.Atan2(axisY, axisX) + (_random.NextDouble() * 2 - 1) * 3 * Math.PI / 180;
        var (sin, cos) = Math.SinCos(angle);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            double hl = length / 2, hd = depth / 2;
            var corners = new[]
            {
                new Coordinate(centre.X - hl * cos + hd * sin, centre.Y - hl * sin - hd * cos),
                new Coordinate(centre.X + hl * cos + hd * sin, centre.Y + hl * sin - hd * cos),
                new Coordinate(centre.X + hl * cos - hd * sin, centre.Y + hl * sin + hd * cos),
                new Coordinate(centre.X - hl * cos - hd * sin, centre.Y - hl * sin + hd * cos),
            };
            if (corners.All(c => Inside(quad, c, margin) && (sub is null || Inside(sub, c, subMargin))))
                return Metric.CreatePolygon([.. corners, corners[0].Copy()]);
            length *= 0.93;
            depth *= 0.95;
        }
        return null;
    }

    public static Coordinate Bilinear(Coordinate[] q, double s, double t) => new(
        (1 - s) * (1 - t) * q[0].X + s * (1 - t) * q[1].X + s * t * q[2].X + (1 - s) * t * q[3].X,
        (1 - s) * (1 - t) * q[0].Y + s * (1 - t) * q[1].Y + s * t * q[2].Y + (1 - s) * t * q[3].Y);

    /// <summary>Inside a convex counter-clockwise quad and at least <paramref name="margin"/> from each edge.</summary>
    static bool Inside(Coordinate[] quad, Coordinate p, double margin)
    {
        for (var k = 0; k < quad.Length; k++)
        {
            var a = quad[k];
            var b = quad[(k + 1) % quad.Length];
            double ex = b.X - a.X, ey = b.Y - a.Y;
            var cross = ex * (p.Y - a.Y) - ey * (p.X - a.X);
            if (cross / Math.Sqrt(ex * ex + ey * ey) < margin) return false;
        }
        return true;
    }
}
