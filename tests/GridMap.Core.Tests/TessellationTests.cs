using System.Diagnostics;
using CsCheck;
using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Xunit.Abstractions;

namespace GridMap.Core.Tests;

/// <summary>Territories that tile a community: WKT in, geometry and numbers out.</summary>
public class TessellationTests(ITestOutputHelper output)
{
    static readonly GeometryFactory Factory = new();
    static readonly WKTReader Reader = new();

    static Geometry G(string wkt) => Reader.Read(wkt);
    static Polygon P(string wkt) => (Polygon)Reader.Read(wkt);
    static Polygon Box(double x0, double y0, double x1, double y1) => (Polygon)Factory.ToGeometry(new Envelope(x0, x1, y0, y1));
    static Site S(int atom, double x, double y, int region = -1, Polygon? footprint = null) => new(atom, new Coordinate(x, y), footprint, region);

    static readonly Polygon Square = Box(0, 0, 100, 100);

    static Tessellation Build(Geometry area, IReadOnlyList<Site> sites, IReadOnlyList<Geometry>? regions = null,
        IReadOnlyList<LineString>? barriers = null, IReadOnlyList<(int, Polygon)>? fixedPieces = null) =>
        TerritoryTessellation.Build(new TessellationInput(area, sites, regions ?? [], barriers ?? [], fixedPieces));

    static void AssertTiles(Geometry area, Tessellation t, double tolerance = 1e-6)
    {
        var (overlap, gap) = CoverageCheck.Measure(area, t.TerritoryOf);
        Assert.True(overlap < tolerance, $"overlap {overlap} m²");
        Assert.True(gap < tolerance, $"gap {gap} m²");
        Assert.All(t.Faces, f => Assert.True(f.Atom >= 0, "unassigned face"));
        Assert.All(t.TerritoryOf, g => Assert.True(g.IsValid, $"invalid territory {g}"));
        Assert.Equal(area.Area, t.Faces.Sum(f => f.Polygon.Area), 6);
    }

    static double SymDiff(Geometry a, Geometry b) => a.SymmetricDifference(b).Area;

    [Fact]
    public void Tessellation_four_points_in_a_square_get_a_quarter_each()
    {
        var t = Build(Square, [S(0, 25, 25), S(1, 75, 25), S(2, 25, 75), S(3, 75, 75)]);

        AssertTiles(Square, t);
        Assert.Equal(4, t.TerritoryOf.Count);
        Assert.True(SymDiff(t.TerritoryOf[0], Box(0, 0, 50, 50)) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[1], Box(50, 0, 100, 50)) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[2], Box(0, 50, 50, 100)) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[3], Box(50, 50, 100, 100)) < 1e-6);
        Assert.Equal([(0, 1), (0, 2), (1, 3), (2, 3)], t.Adjacent.Select(e => (e.A, e.B)));
        Assert.All(t.Adjacent, e => Assert.Equal(50, e.SharedLength, 6));
        Assert.All(t.Adjacent, e => Assert.Equal(0, e.BarrierLength, 9));
    }

    [Fact]
    public void Tessellation_a_road_between_two_close_sites_carries_their_shared_boundary()
    {
        // A and B are 22 m apart, closer to each other than to C and D; their Voronoi edge (x = 51) is not the road (x = 55).
        var road = (LineString)G("LINESTRING (55 -10, 55 50, 55 110)");
        var t = Build(Square, [S(0, 40, 50), S(1, 62, 50), S(2, 10, 10), S(3, 90, 90)], barriers: [road]);

        AssertTiles(Square, t);
        var ab = t.Adjacent.Single(e => (e.A, e.B) == (0, 1));
        Assert.True(ab.SharedLength > 10, $"shared {ab.SharedLength}");
        Assert.Equal(ab.SharedLength, ab.BarrierLength, 6);
        // West of the road is A's and C's land exactly, east B's and D's.
        Assert.True(SymDiff(t.TerritoryOf[0].Union(t.TerritoryOf[2]), Box(0, 0, 55, 100)) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[1].Union(t.TerritoryOf[3]), Box(55, 0, 100, 100)) < 1e-6);
    }

    [Fact]
    public void Tessellation_compound_land_belongs_to_the_site_inside_it()
    {
        var compound = Box(10, 10, 50, 50);
        // The outside site (60, 40) is nearer to the compound's north-east than the inside site (15, 15).
        var t = Build(Square, [S(0, 15, 15, region: 0), S(1, 60, 40)], regions: [compound]);

        AssertTiles(Square, t);
        Assert.True(SymDiff(t.TerritoryOf[0], compound) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[1], Square.Difference(compound)) < 1e-6);
        var e = Assert.Single(t.Adjacent);
        Assert.Equal(160, e.SharedLength, 6);
        Assert.Equal(160, e.BarrierLength, 6);
    }

    [Fact]
    public void Tessellation_overlapping_compounds_give_the_overlap_to_the_smaller_and_are_clipped_to_the_area()
    {
        var big = Box(-20, 0, 60, 100);   // sticks out of the area on the west
        var small = Box(50, 20, 80, 60);  // overlaps big on 50 ≤ x ≤ 60
        var t = Build(Square, [S(0, 10, 50, region: 0), S(1, 70, 40, region: 1), S(2, 90, 90)], regions: [big, small]);

        AssertTiles(Square, t);
        Assert.True(SymDiff(t.TerritoryOf[1], small) < 1e-6);
        Assert.True(SymDiff(t.TerritoryOf[0], Box(0, 0, 60, 100).Difference(small)) < 1e-6);
    }

    [Fact]
    public void Tessellation_a_footprint_lies_wholly_in_its_own_atoms_territory()
    {
        var footprint = Box(30, 45, 70, 55);
        // The bisector of (50, 50) and (72, 50) is x = 61: it would cut the building.
        var t = Build(Square, [S(0, 50, 50, footprint: footprint), S(1, 72, 50), S(2, 50, 90)]);

        AssertTiles(Square, t);
        Assert.True(footprint.Difference(t.TerritoryOf[0]).Area < 1e-9);
        Assert.True(t.TerritoryOf[1].Intersection(footprint).Area < 1e-9);
        Assert.True(t.TerritoryOf[1].Area > 1000);
    }

    [Fact]
    public void Tessellation_coincident_sites_of_two_atoms_share_the_cell_and_of_one_atom_make_one_territory()
    {
        var t = Build(Square, [S(0, 50, 50), S(1, 50, 50), S(2, 20, 20)]);
        AssertTiles(Square, t);
        Assert.True(t.TerritoryOf[0].Area > 100);
        Assert.True(t.TerritoryOf[1].Area > 100);
        Assert.True(t.TerritoryOf[0].Intersection(t.TerritoryOf[1]).Area < 1e-9);
        Assert.Contains(t.Adjacent, e => (e.A, e.B) == (0, 1) && e.SharedLength > 1);

        var same = Build(Square, [S(0, 50, 50), S(0, 50, 50), S(1, 20, 20)]);
        AssertTiles(Square, same);
        Assert.Equal(2, same.TerritoryOf.Count);
        Assert.IsType<Polygon>(same.TerritoryOf[0]);
        Assert.Single(same.Adjacent);

        // Three atoms at one point and nothing else.
        var alone = Build(Square, [S(0, 50, 50), S(1, 50, 50), S(2, 50, 50)]);
        AssertTiles(Square, alone);
        Assert.All(alone.TerritoryOf, g => Assert.True(g.Area > 2000, $"{g.Area}"));
    }

    [Fact]
    public void Tessellation_a_block_without_a_site_joins_the_neighbour_with_the_longest_boundary()
    {
        var road = (LineString)G("LINESTRING (-10 30, 110 30)");
        // North sites only; their bisector x = 55 gives atom 0 55 m of the road, atom 1 45 m.
        var t = Build(Square, [S(0, 30, 70), S(1, 80, 70)], barriers: [road]);

        AssertTiles(Square, t);
        Assert.True(Box(0, 0, 100, 30).Difference(t.TerritoryOf[0]).Area < 1e-9);
        Assert.IsType<Polygon>(t.TerritoryOf[0]);
    }

    [Fact]
    public void Tessellation_a_multipolygon_area_with_a_hole_is_tiled_and_outside_sites_still_get_land()
    {
        var area = G("MULTIPOLYGON (((0 0, 100 0, 100 100, 0 100, 0 0), (40 40, 60 40, 60 60, 40 60, 40 40)), ((200 0, 260 0, 230 50, 200 0)))");
        // Atom 3 lies in the hole, atom 4 beyond everything east of the triangle, whose two faces are atom 2's: atom 4 takes
        // the face nearest to it rather than staying without land.
        var t = Build(area, [S(0, 20, 20), S(1, 80, 80), S(2, 215, 5), S(2, 245, 5), S(3, 50, 50), S(4, 300, 10)]);

        AssertTiles(area, t);
        Assert.All(t.TerritoryOf, g => Assert.False(g.IsEmpty));
        Assert.True(t.TerritoryOf[0].Union(t.TerritoryOf[1]).Union(t.TerritoryOf[3]).Difference(area.GetGeometryN(0)).Area < 1e-9);
        Assert.True(SymDiff(t.TerritoryOf[4], G("POLYGON ((230 0, 260 0, 230 50, 230 0))")) < 1e-6);
    }

    [Fact]
    public void Tessellation_fixed_territories_own_exactly_their_land()
    {
        var piece = Box(0, 0, 40, 40);
        // Atom 0's point lies in the fixed piece: it competes from the nearest land outside it. Atom 2's own site is ignored.
        var t = Build(Square, [S(0, 20, 20), S(1, 80, 80), S(2, 90, 10)], fixedPieces: [(2, piece)]);

        AssertTiles(Square, t);
        Assert.True(SymDiff(t.TerritoryOf[2], piece) < 1e-6);
        Assert.True(t.TerritoryOf[0].Area > 100);
        Assert.True(t.TerritoryOf[0].Intersection(piece).Area < 1e-9);
        Assert.Contains(t.Adjacent, e => (e.A, e.B) == (0, 2));
    }

    [Fact]
    public void Coverage_of_an_areas_own_islands_is_whole_and_a_missing_or_doubled_island_shows()
    {
        var (west, east) = (Box(0, 0, 100, 100), Box(200, 0, 300, 50));
        var area = Factory.CreateMultiPolygon([west, east]);

        Assert.Equal((0.0, 0.0), CoverageCheck.Measure(area, [east, west]));
        Assert.Equal((0.0, 5_000.0), CoverageCheck.Measure(area, [west]));
        var (overlap, gap) = CoverageCheck.Measure(area, [west, west]);
        Assert.Equal((10_000.0, 5_000.0), (Math.Round(overlap, 6), Math.Round(gap, 6)));
        Assert.Equal((0.0, 0.0), CoverageCheck.Measure(west, [Box(0, 0, 100, 50), Box(0, 50, 100, 100)]));
    }

    [Fact]
    public void Tessellation_dissolve_groups_territories_without_slivers()
    {
        var t = Build(Square, [S(0, 25, 25), S(1, 75, 25), S(2, 25, 75), S(3, 75, 75)]);
        var grids = GridPolygons.Dissolve(t, [0, 0, 1, 1], 2);

        Assert.Equal(2, grids.Length);
        Assert.All(grids, g => Assert.IsType<Polygon>(g));
        Assert.All(grids, g => Assert.True(g.IsValid));
        Assert.True(SymDiff(grids[0], Box(0, 0, 100, 50)) < 1e-6);
        Assert.True(SymDiff(grids[1], Box(0, 50, 100, 100)) < 1e-6);
        var (overlap, gap) = CoverageCheck.Measure(Square, grids);
        Assert.True(overlap < 1e-6 && gap < 1e-6);

        // Diagonal atoms touch at a point only: a MultiPolygon; a ring of territories around a hole keeps the hole.
        var diagonal = GridPolygons.Dissolve(t, [0, 1, 1, 0], 2);
        Assert.IsType<MultiPolygon>(diagonal[0]);
        Assert.True(diagonal[0].IsValid);

        // Without the edge structure (faces only) the same result.
        var bare = new Tessellation(t.TerritoryOf, t.Adjacent, t.Faces);
        var again = GridPolygons.Dissolve(bare, [0, 0, 1, 1], 2);
        Assert.True(SymDiff(again[0], grids[0]) < 1e-9);
    }

    [Fact]
    public void Tessellation_dissolve_keeps_holes_and_pinches_valid()
    {
        // A 3×3 lattice: the ring of 8 around the centre is one grid with a hole.
        var sites = new List<Site>();
        for (var i = 0; i < 9; i++) sites.Add(S(i, 100.0 / 6 + i % 3 * 100.0 / 3, 100.0 / 6 + i / 3 * 100.0 / 3));
        var t = Build(Square, sites);
        AssertTiles(Square, t);
        var grids = GridPolygons.Dissolve(t, [0, 0, 0, 0, 1, 0, 0, 0, 0], 2);
        var ring = Assert.IsType<Polygon>(grids[0]);
        Assert.Equal(1, ring.NumInteriorRings);
        Assert.True(ring.IsValid);
        Assert.Equal(Enumerable.Range(0, 9).Where(i => i != 4).Sum(i => t.TerritoryOf[i].Area), ring.Area, 6);

        // Centre and two opposite corners: corners touch the centre at single points.
        var pinch = GridPolygons.Dissolve(t, [0, 1, 1, 1, 0, 1, 1, 1, 0], 2);
        Assert.True(pinch[0].IsValid, pinch[0].ToString());
        Assert.True(pinch[1].IsValid, pinch[1].ToString());
        Assert.Equal(t.TerritoryOf[0].Area + t.TerritoryOf[4].Area + t.TerritoryOf[8].Area, pinch[0].Area, 6);
    }

    /// <summary>An irregular community around (cx, cy): a star-shaped polygon with a random radius per vertex.</summary>
    static Polygon Irregular(Random rng, double cx, double cy, double radius, int vertices)
    {
        var ring = new Coordinate[vertices + 1];
        for (var i = 0; i < vertices; i++)
        {
            var a = 2 * Math.PI * i / vertices;
            var r = radius * (0.75 + 0.5 * rng.NextDouble());
            ring[i] = new Coordinate(cx + r * Math.Cos(a), cy + r * Math.Sin(a));
        }
        ring[vertices] = ring[0].Copy();
        return Factory.CreatePolygon(ring);
    }

    static Coordinate RandomInside(Random rng, Geometry area)
    {
        var env = area.EnvelopeInternal;
        var locator = new NetTopologySuite.Algorithm.Locate.IndexedPointInAreaLocator(area);
        while (true)
        {
            var c = new Coordinate(env.MinX + rng.NextDouble() * env.Width, env.MinY + rng.NextDouble() * env.Height);
            if (locator.Locate(c) == Location.Interior) return c;
        }
    }

    static TessellationInput RandomCase(int seed, int points, int barriers, int compounds, double cx = 500_000.123, double cy = 3_000_000.456,
        double radius = 600, bool footprints = true, bool multiSite = true, bool coincident = true)
    {
        var rng = new Random(seed);
        var area = Irregular(rng, cx, cy, radius, 48);
        var env = area.EnvelopeInternal;
        var regions = new List<Geometry>();
        for (var i = 0; i < compounds; i++)
        {
            var c = RandomInside(rng, area);
            double w = 40 + rng.NextDouble() * 120, h = 40 + rng.NextDouble() * 120;
            var box = Box(c.X - w / 2, c.Y - h / 2, c.X + w / 2, c.Y + h / 2);
            var rotated = NetTopologySuite.Geometries.Utilities.AffineTransformation.RotationInstance(rng.NextDouble(), c.X, c.Y).Transform(box);
            regions.Add(rotated);
        }
        var lines = new List<LineString>();
        for (var i = 0; i < barriers; i++)
        {
            var n = 2 + rng.Next(4);
            var pts = new Coordinate[n];
            var start = new Coordinate(env.MinX - 50 + rng.NextDouble() * (env.Width + 100), env.MinY - 50 + rng.NextDouble() * (env.Height + 100));
            var heading = rng.NextDouble() * 2 * Math.PI;
            pts[0] = start;
            for (var k = 1; k < n; k++)
            {
                heading += (rng.NextDouble() - 0.5) * 0.8;
                var step = 100 + rng.NextDouble() * 400;
                pts[k] = new Coordinate(pts[k - 1].X + step * Math.Cos(heading), pts[k - 1].Y + step * Math.Sin(heading));
            }
            lines.Add(Factory.CreateLineString(pts));
        }
        var sites = new List<Site>();
        var regionLocators = regions.Select(r => new NetTopologySuite.Algorithm.Locate.IndexedPointInAreaLocator(r)).ToArray();
        for (var i = 0; i < points; i++)
        {
            var c = RandomInside(rng, area);
            var region = Array.FindIndex(regionLocators, l => l.Locate(c) == Location.Interior);
            Polygon? fp = null;
            if (footprints && rng.NextDouble() < 0.3)
            {
                double w = 8 + rng.NextDouble() * 30, h = 8 + rng.NextDouble() * 12;
                fp = (Polygon)NetTopologySuite.Geometries.Utilities.AffineTransformation.RotationInstance(rng.NextDouble() * Math.PI, c.X, c.Y)
                    .Transform(Box(c.X - w / 2, c.Y - h / 2, c.X + w / 2, c.Y + h / 2));
            }
            // A few atoms with two sites, a few coincident sites of different atoms.
            var atom = i > 0 && rng.NextDouble() < 0.05 && multiSite ? sites[^1].Atom : i;
            sites.Add(new Site(atom, c, fp, region));
            if (rng.NextDouble() < 0.02 && multiSite && coincident) sites.Add(new Site(i + points, c.Copy(), null, region));
        }
        return new TessellationInput(area, sites, regions, lines, null);
    }

    [Fact]
    public void Tessellation_random_case_tiles_the_area_and_assigns_every_face()
    {
        var input = RandomCase(seed: 7, points: 300, barriers: 10, compounds: 5);
        var t = TerritoryTessellation.Build(input);

        var (overlap, gap) = CoverageCheck.Measure(input.Area, t.TerritoryOf);
        output.WriteLine($"faces {t.Faces.Count}, adjacent {t.Adjacent.Count}, overlap {overlap:E2} m², gap {gap:E2} m²");
        Assert.True(overlap < 1, $"overlap {overlap}");
        Assert.True(gap < 1, $"gap {gap}");
        Assert.All(t.Faces, f => Assert.True(f.Atom >= 0));
        Assert.All(t.TerritoryOf, g => Assert.True(g.IsValid));
        Assert.All(t.Faces, f => Assert.True(f.Polygon.IsValid));
        var (faceOverlap, faceGap) = CoverageCheck.Measure(input.Area, t.Faces.Select(f => (Geometry)f.Polygon).ToList());
        Assert.True(faceOverlap < 1e-6, $"face overlap {faceOverlap}");
        Assert.True(faceGap < 1, $"face gap {faceGap}");

        // Every atom with a site has land; shared lengths agree with the territories.
        foreach (var atom in input.Sites.Select(s => s.Atom).Distinct())
            Assert.False(t.TerritoryOf[atom].IsEmpty, $"atom {atom} has no land");
        foreach (var e in t.Adjacent.Take(40))
        {
            var shared = t.TerritoryOf[e.A].Intersection(t.TerritoryOf[e.B]).Length;
            Assert.Equal(e.SharedLength, shared, 3);
            Assert.InRange(e.BarrierLength, 0, e.SharedLength + 1e-9);
        }
        // Territories do not cross barriers: no territory's interior meets a barrier inside the area, unless its block had no site.
        var grids = GridPolygons.Dissolve(t, Enumerable.Range(0, t.TerritoryOf.Count).Select(a => a % 7).ToArray(), 7);
        var (go, gg) = CoverageCheck.Measure(input.Area, grids);
        Assert.True(go < 1e-3 && gg < 1, $"grids overlap {go} gap {gg}");
        Assert.All(grids, g => Assert.True(g.IsValid));
        Assert.Equal(t.TerritoryOf.Sum(g => g.Area), grids.Sum(g => g.Area), 3);
    }

    [Fact]
    public void Tessellation_territories_stay_on_their_side_of_roads_and_walls()
    {
        var input = RandomCase(seed: 11, points: 200, barriers: 6, compounds: 4, footprints: false);
        var t = TerritoryTessellation.Build(input);
        var siteBlocks = t.Faces.GroupBy(f => f.Atom).ToDictionary(g => g.Key, g => g.Select(f => f.Block).Distinct().Count());
        // Most atoms keep to one block (an atom takes another block only when that block has no site).
        Assert.True(siteBlocks.Count(kv => kv.Value == 1) >= 0.9 * siteBlocks.Count, $"{siteBlocks.Count(kv => kv.Value == 1)} of {siteBlocks.Count}");
        // Compound faces go to the compound's sites whenever the compound has any.
        var compoundAtoms = input.Sites.Where(s => s.Region >= 0).GroupBy(s => s.Region).ToDictionary(g => g.Key, g => g.Select(s => s.Atom).ToHashSet());
        foreach (var f in t.Faces.Where(f => f.Region >= 0 && compoundAtoms.ContainsKey(f.Region)))
            Assert.Contains(f.Atom, compoundAtoms[f.Region]);
    }

    [Fact]
    public void Tessellation_timing()
    {
        var small = RandomCase(seed: 1, points: 60, barriers: 0, compounds: 0, radius: 564, footprints: false);
        var large = RandomCase(seed: 2, points: 1000, barriers: 50, compounds: 20, radius: 1500);
        // Warm up past tiered JIT compilation.
        for (var i = 0; i < 300; i++) TerritoryTessellation.Build(small);
        for (var i = 0; i < 3; i++) TerritoryTessellation.Build(large);

        var clock = Stopwatch.StartNew();
        const int runs = 100;
        for (var i = 0; i < runs; i++) TerritoryTessellation.Build(small);
        var smallMs = clock.Elapsed.TotalMilliseconds / runs;

        clock.Restart();
        Tessellation t = null!;
        for (var i = 0; i < 5; i++) t = TerritoryTessellation.Build(large);
        var largeMs = clock.Elapsed.TotalMilliseconds / 5;
        var (o, g) = CoverageCheck.Measure(large.Area, t.TerritoryOf);
        output.WriteLine($"60 points: {smallMs:F2} ms/build; 1000 points + 50 barriers + 20 compounds (+30% footprints): {largeMs:F1} ms/build, {t.Faces.Count} faces, overlap {o:E1} gap {g:E1}");
        Assert.True(smallMs < 50, $"{smallMs} ms");

        var groups = Enumerable.Range(0, t.TerritoryOf.Count).Select(a => a / 5).ToArray();
        clock.Restart();
        for (var i = 0; i < 10; i++) GridPolygons.Dissolve(t, groups, groups.Max() + 1);
        output.WriteLine($"dissolve {t.Faces.Count} faces into {groups.Max() + 1} groups: {clock.Elapsed.TotalMilliseconds / 10:F2} ms");
    }

    [Fact]
    public void Tessellation_timing_large_dissolve()
    {
        if (Environment.GetEnvironmentVariable("GRIDMAP_BENCH") != "1") return;
        // 100,000 sites on a jittered lattice: 20,000 groups of 5.
        var rng = new Random(3);
        var sites = new List<Site>();
        for (var i = 0; i < 100_000; i++)
            sites.Add(S(i, 500_000 + (i % 400) * 10 + rng.NextDouble() * 6, 3_000_000 + (i / 400) * 10 + rng.NextDouble() * 6));
        var area = Box(499_995, 2_999_995, 504_005, 3_002_505);
        var clock = Stopwatch.StartNew();
        var t = TerritoryTessellation.Build(new TessellationInput(area, sites, [], [], null));
        var buildMs = clock.Elapsed.TotalMilliseconds;
        var groups = Enumerable.Range(0, sites.Count).Select(a => (a % 400) / 5 + (a / 400) * 80).ToArray();
        var count = groups.Max() + 1;
        GridPolygons.Dissolve(t, groups, count);
        clock.Restart();
        var grids = GridPolygons.Dissolve(t, groups, count);
        var dissolveMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var (o, g) = CoverageCheck.Measure(area, grids);
        output.WriteLine($"build 100k sites: {buildMs:F0} ms ({t.Faces.Count} faces); dissolve into {count} groups: {dissolveMs:F0} ms; measure {clock.Elapsed.TotalMilliseconds:F0} ms overlap {o:E1} gap {g:E1}; multipolygons {grids.Count(x => x is MultiPolygon)}");
    }

    /// <summary>Singapore subzone DTSZ01 (metric): its three blocks' Voronoi cells, clipped to the concave subzone, used to leave atom 1 in two pieces.</summary>
    const string Dtsz01 = "POLYGON ((372724.27774656 143408.37662447, 372729.74679496 143416.24866178, 372741.55334595 143432.45685106, 372751.27668581 143445.01627937, 372762.25850137 143458.97972074, 372779.49923328 143479.80840802, 372797.34064579 143499.7299274, 372811.70656997 143514.10104683, 372826.48395754 143527.59826364, 372828.0541208 143529.02425547, 372837.40828697 143537.524938, 372856.51768531 143555.27818077, 372874.80305253 143572.34609373, 372886.55217606 143584.66128884, 372911.42021351 143610.70670016, 372919.09313342 143618.30124525, 372931.4655828 143630.56085881, 372947.56869513 143646.5127249, 372973.33812456 143672.03791917, 372997.94937187 143696.41342676, 373014.98792748 143713.29388172, 373022.59402383 143720.82209676, 373036.70364487 143734.61821954, 373055.61217298 143751.30981352, 372982.39339728 143832.01229324, 372884.61955857 143914.01993002, 372832.20754214 143950.49643069, 372781.16425634 143986.02119854, 372779.2725733 143987.43769778, 372703.26026289 144044.25268429, 372703.26026791 144044.26374399, 372695.57112878 144050.00721952, 372695.29291598 144050.16218164, 372670.16368981 144061.85263532, 372644.96645586 144070.8556156, 372617.19813202 144080.401693, 372587.45866897 144087.9800425, 372552.05299308 144094.75361306, 372534.08997334 144101.23170758, 372511.07554881 144112.58943283, 372503.44150039 144117.08314647, 372495.66037086 144116.35674404, 372481.28921349 144115.01399511, 372476.78023599 144113.2796712, 372475.9675082 144112.97036893, 372475.83391214 144112.92619085, 372469.9549461 144109.35657799, 372465.13346109 144105.79754384, 372461.98167023 144102.22669052, 372459.67576977 144098.45637761, 372457.36929584 144093.42525777, 372455.47382093 144086.5027402, 372455.25955918 144080.41999608, 372455.09031576 144075.42108324, 372456.41408902 144073.5403302, 372462.94392514 144064.18084465, 372473.72314951 144048.7034073, 372491.05445662 144023.82223928, 372506.10526194 144002.0609495, 372522.724071 143976.9589181, 372540.69322554 143959.45429719, 372546.90177169 143953.4239367, 372558.16171837 143942.49183243, 372581.3953547 143923.56918584, 372605.91726262 143898.10967292, 372643.19028534 143860.7441408, 372658.31089625 143845.58548966, 372656.61798115 143843.48491321, 372656.517739 143843.35224219, 372655.1255353 143841.61649967, 372648.49873235 143833.54591919, 372646.44942896 143831.03629515, 372644.3444388 143828.4603381, 372631.14660857 143812.58458405, 372612.3582094 143790.89395819, 372597.1448571 143773.37121989, 372570.64977149 143743.31188669, 372554.17824729 143725.07083543, 372545.56918845 143715.07676172, 372519.69744829 143685.01714117, 372495.6856658 143657.22391561, 372481.29625608 143640.22060382, 372476.23999759 143634.42760743, 372470.99439573 143628.39138313, 372442.3483889 143592.71467937, 372413.20109943 143556.23084035, 372375.92361352 143510.2614482, 372365.16464294 143496.85089131, 372352.28962083 143481.03027519, 372331.47360755 143455.65766341, 372317.32890047 143438.27820101, 372311.39258183 143430.99253859, 372309.85557679 143429.05778486, 372326.2348802 143415.67916484, 372335.55951276 143408.0658552, 372342.04824423 143406.18276366, 372344.12953309 143405.57353636, 372352.65618028 143405.62497202, 372359.16784565 143405.22387242, 372364.7880202 143402.65547275, 372370.36284277 143398.26224096, 372374.85828923 143394.67685743, 372380.46647107 143390.20619301, 372387.79938782 143384.35228362, 372398.92673146 143375.47735489, 372410.08745974 143366.5802927, 372417.01979369 143361.04729817, 372425.35417362 143354.39663853, 372436.24784568 143345.70983426, 372436.40362966 143345.58810693, 372444.81271589 143356.43387883, 372454.16852264 143368.50684994, 372462.49962325 143379.20888021, 372468.30241382 143386.61626053, 372497.76768836 143363.26693953, 372579.43147318 143298.55284195, 372585.13981514 143294.02684243, 372590.03586303 143290.15373289, 372606.89383251 143276.78599178, 372624.09675543 143263.15266439, 372624.17464995 143263.09733068, 372628.58566386 143269.7311618, 372633.56467646 143277.02831858, 372639.96948632 143286.50359316, 372640.93855854 143287.92985742, 372649.27037608 143300.2466055, 372665.58871304 143324.38256976, 372676.95023499 143341.07759092, 372711.7023368 143390.41028877, 372718.56365343 143400.16184692, 372724.27774656 143408.37662447))";

    [Fact]
    public void Tessellation_a_territory_cut_in_two_by_a_concave_area_is_made_one_piece()
    {
        var area = G(Dtsz01);
        var t = Build(area, [S(0, 372618.1740978317, 143310.7231330952), S(1, 372379.1365784402, 143427.74346484075), S(2, 372441.43587170617, 143421.27849774226)]);

        AssertTiles(area, t, tolerance: 1e-3);
        Assert.All(t.TerritoryOf, g => Assert.IsType<Polygon>(g));
        Assert.All(t.TerritoryOf, g => Assert.True(g.Area > 1000, $"{g.Area}"));
        Assert.Equal(area.Area, t.TerritoryOf.Sum(g => g.Area), 3);
        // Adjacency on the final assignment: shared lengths agree with the territories.
        foreach (var e in t.Adjacent)
            Assert.Equal(e.SharedLength, t.TerritoryOf[e.A].Intersection(t.TerritoryOf[e.B]).Length, 3);
    }

    [Fact]
    public void Tessellation_the_smaller_piece_of_a_split_territory_goes_to_the_longest_neighbour()
    {
        // A U-shaped area: atom 0 (west arm) is nearest to the tips of both arms' bottom; atom 1 sits in the east arm's
        // top, atom 2 on the bottom bar. The cell of atom 0 spills into the east arm across the notch: that piece goes
        // to its longest neighbour.
        var area = G("POLYGON ((0 0, 100 0, 100 100, 70 100, 70 30, 30 30, 30 100, 0 100, 0 0))");
        var t = Build(area, [S(0, 15, 60), S(1, 85, 95), S(2, 50, 10)]);

        AssertTiles(area, t);
        Assert.All(t.TerritoryOf, g => Assert.IsType<Polygon>(g));
        Assert.All(t.TerritoryOf, g => Assert.False(g.IsEmpty));
    }

    [Fact]
    public void Tessellation_every_territory_is_one_polygon_on_random_cities()
    {
        // Point sites (atoms with several sites, coincident sites of different atoms), roads and compounds. With building
        // footprints an atom's own footprint can be cut apart (by a smaller overlapping footprint or the area boundary),
        // and a building is never moved out of its atom, so that case is left out here.
        Gen.Select(Gen.Int[0, 1_000_000], Gen.Int[2, 150], Gen.Int[0, 6], Gen.Int[0, 4])
            .Sample((seed, points, barriers, compounds) =>
            {
                var input = RandomCase(seed, points, barriers, compounds, radius: 300 + seed % 400, footprints: false);
                var t = TerritoryTessellation.Build(input);
                Assert.All(t.Faces, f => Assert.True(f.Atom >= 0));
                for (var a = 0; a < t.TerritoryOf.Count; a++)
                {
                    var g = t.TerritoryOf[a];
                    Assert.True(g.IsEmpty || g is Polygon, $"seed {seed}: atom {a} is a {g.GeometryType} of {g.NumGeometries}");
                }
                foreach (var atom in input.Sites.Select(s => s.Atom).Distinct())
                    Assert.False(t.TerritoryOf[atom].IsEmpty, $"seed {seed}: atom {atom} has no land");
                var (overlap, gap) = CoverageCheck.Measure(input.Area, t.TerritoryOf);
                Assert.True(overlap < 1e-3 && gap < 1e-3, $"seed {seed}: overlap {overlap} gap {gap}");
            }, iter: 150);
    }

    [Fact]
    public void Tessellation_two_atoms_at_one_point_in_a_compound_overlap_both_get_land()
    {
        // Found by the property test above (seed 544014): the point lies where two compounds overlap; the overlap's land goes
        // to the smaller compound, so the two atoms compete for none of it, and the face holding the point is the only land
        // of one of them. The other takes the spare face next to it.
        var input = RandomCase(544014, 107, 3, 2, radius: 300 + 544014 % 400, footprints: false);
        var t = TerritoryTessellation.Build(input);

        foreach (var atom in input.Sites.Select(s => s.Atom).Distinct())
            Assert.False(t.TerritoryOf[atom].IsEmpty, $"atom {atom} has no land");
        // Atom 68 holds the face with the point; atom 175's land is next to it.
        var point = Factory.CreatePoint(input.Sites.First(s => s.Atom == 175).Point);
        Assert.True(t.TerritoryOf[68].Covers(point));
        Assert.Contains(t.Adjacent, e => (e.A, e.B) == (68, 175) && e.SharedLength > 1);
        AssertTiles(input.Area, t);
    }

    /// <summary>An n×n lattice of 100 m squares from (x0, y0); one atom per square, its footprint the square.</summary>
    static (Polygon Area, List<Site> Sites) Lattice(int n, double x0 = 500_000, double y0 = 3_000_000, double cell = 100)
    {
        var sites = new List<Site>(n * n);
        for (var j = 0; j < n; j++)
            for (var i = 0; i < n; i++)
            {
                var sq = Box(x0 + i * cell, y0 + j * cell, x0 + (i + 1) * cell, y0 + (j + 1) * cell);
                sites.Add(new Site(j * n + i, new Coordinate(x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell), sq, -1));
            }
        return (Box(x0, y0, x0 + n * cell, y0 + n * cell), sites);
    }

    [Fact]
    public void Tessellation_squares_that_tile_the_area_are_the_territories()
    {
        var (area, sites) = Lattice(20);
        var t = Build(area, sites);

        AssertTiles(area, t);
        Assert.Equal(400, t.TerritoryOf.Count);
        for (var a = 0; a < 400; a++) Assert.True(SymDiff(t.TerritoryOf[a], sites[a].Footprint!) < 1e-9, $"atom {a}");
        Assert.Equal(2 * 20 * 19, t.Adjacent.Count);
        Assert.All(t.Adjacent, e => Assert.Equal(100, e.SharedLength, 9));
        Assert.All(t.Adjacent, e => Assert.True(e.B - e.A == 1 && e.A % 20 != 19 || e.B - e.A == 20, $"{e.A}-{e.B}"));
        var grids = GridPolygons.Dissolve(t, Enumerable.Range(0, 400).Select(a => (a % 20) / 5 + a / 100 * 4).ToArray(), 16);
        Assert.All(grids, g => Assert.True(g is Polygon && Math.Abs(g.Area - 250_000) < 1e-6, g.ToString()));
    }

    [Fact]
    public void Tessellation_the_tiled_fast_path_agrees_with_the_general_construction()
    {
        var (area, sites) = Lattice(6, x0: 372_001.25, y0: 143_000.5, cell: 37.5);
        // Two squares of one atom, and a fixed piece.
        sites[7] = sites[7] with { Atom = 6 };
        var fixedPiece = (Polygon)sites[35].Footprint!;
        sites.RemoveAt(35);
        var fast = Build(area, sites, fixedPieces: [(35, fixedPiece)]);
        // A barrier along the area's boundary changes nothing but keeps the fast path out.
        var general = Build(area, sites, barriers: [area.ExteriorRing], fixedPieces: [(35, fixedPiece)]);

        AssertTiles(area, fast);
        AssertTiles(area, general);
        Assert.Equal(general.TerritoryOf.Count, fast.TerritoryOf.Count);
        for (var a = 0; a < fast.TerritoryOf.Count; a++)
        {
            Assert.Equal(general.TerritoryOf[a].IsEmpty, fast.TerritoryOf[a].IsEmpty);
            Assert.True(SymDiff(general.TerritoryOf[a], fast.TerritoryOf[a]) < 1e-6, $"atom {a}");
        }
        Assert.Equal(general.Adjacent.Select(e => (e.A, e.B)), fast.Adjacent.Select(e => (e.A, e.B)));
        for (var i = 0; i < fast.Adjacent.Count; i++)
        {
            Assert.Equal(general.Adjacent[i].SharedLength, fast.Adjacent[i].SharedLength, 6);
            Assert.Equal(general.Adjacent[i].BarrierLength, fast.Adjacent[i].BarrierLength, 6);
        }
    }

    [Fact]
    public void Tessellation_timing_tiled_lattice()
    {
        // 317×317 squares (100,489 units) tiling one area: the fast path.
        var (area, sites) = Lattice(317);
        var small = Lattice(10);
        for (var i = 0; i < 20; i++) Build(small.Area, small.Sites);
        var clock = Stopwatch.StartNew();
        var t = Build(area, sites);
        var ms = clock.Elapsed.TotalMilliseconds;
        output.WriteLine($"317×317 tiled lattice: {ms:F0} ms, {t.Faces.Count} faces, {t.Adjacent.Count} adjacencies");
        Assert.Equal(2 * 317 * 316, t.Adjacent.Count);
        Assert.Equal(317 * 317, t.Faces.Count);
    }
}
