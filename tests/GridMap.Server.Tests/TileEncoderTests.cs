using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Server.Tiles;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.VectorTiles.Mapbox;

namespace GridMap.Server.Tests;

/// <summary>
/// The tile encoder on its own (docs/tiles.md): what it keeps of properties, how it cuts large features at the tile's
/// buffer, and how a tile over the feature cap keeps its largest features.
/// </summary>
public sealed class TileEncoderTests
{
    static readonly TileAddress Tile = new(15, 26106, 13774);

    static StoredFeature Feature(Layer layer, string id, Geometry g, JsonObject? properties = null) => new(layer, id, 1, g, properties ?? []);

    static Geometry Square(double lon, double lat, double half) =>
        GeometryRules.Factory.ToGeometry(new Envelope(lon - half, lon + half, lat - half, lat + half));

    static IReadOnlyList<NetTopologySuite.Features.IFeature> Decode(EncodedTile encoded, string layer)
    {
        using var stream = new MemoryStream(encoded.Bytes);
        var tile = new MapboxTileReader().Read(stream, new NetTopologySuite.IO.VectorTiles.Tiles.Tile(Tile.X, Tile.Y, Tile.Z));
        return tile.Layers.Single(l => l.Name == layer).Features.ToList();
    }

    [Fact]
    public void Tiles_carry_id_version_and_scalar_properties_never_personal_data_or_large_lists()
    {
        var c = Tile.Bounds.Centre;
        var grid = Feature(Layer.Grids, "520304001001001", Square(c.X, c.Y, 0.001), new JsonObject
        {
            ["code"] = "520304001001001", ["name"] = "第1网格", ["households"] = 250, ["community_code"] = "520304001001",
            ["workers"] = new JsonArray(new JsonObject { ["name"] = "李红梅", ["phone"] = "13800000001" }),
            ["building_heads"] = new JsonArray(new JsonObject { ["name"] = "王强", ["phone"] = "13900000002", ["building"] = "b1" }),
            ["unit_ids"] = new JsonArray("b1", "b2"),
            ["contact:phone"] = "13700000003",
        });
        var encoded = TileEncoder.Encode(Layer.Grids, Tile, [grid], new Settings.BandSetting(new(), new Dictionary<string, Core.Partitioning.Bounds>(), 0));
        var attributes = Decode(encoded, "grids").Single().Attributes;
        Assert.Equal("520304001001001", attributes["id"]);
        Assert.Equal(1L, Convert.ToInt64(attributes["version"]));
        Assert.Equal(250L, Convert.ToInt64(attributes["households"]));
        Assert.Equal(1L, Convert.ToInt64(attributes["workers_count"]));
        Assert.Equal(("basic", "active", "in"), ((string)attributes["type"], (string)attributes["status"], (string)attributes["band_status"]));
        foreach (var left in new[] { "workers", "building_heads", "unit_ids", "contact:phone" }) Assert.False(attributes.Exists(left), left);
        var text = System.Text.Encoding.UTF8.GetString(encoded.Bytes);
        foreach (var secret in new[] { "李红梅", "13800000001", "王强", "13900000002", "13700000003" }) Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public void Features_larger_than_the_tile_are_cut_at_its_buffer_and_small_ones_near_it_are_kept_whole()
    {
        var b = Tile.Bounds;
        var huge = Feature(Layer.Districts, "520304", Square(b.Centre.X, b.Centre.Y, 1.0));
        var road = Feature(Layer.Network, "r1", GeometryRules.Factory.CreateLineString([new(b.MinX - 1, b.Centre.Y), new(b.MaxX + 1, b.Centre.Y)]));
        var edge = Feature(Layer.Buildings, "b1", Square(b.MaxX, b.Centre.Y, b.Width / 20));
        var buffered = Tile.Buffered(TileEncoder.Buffer + 1, TileEncoder.Extent);

        foreach (var (f, cut) in new[] { (huge, true), (road, true), (edge, false) })
        {
            var decoded = Decode(TileEncoder.Encode(f.Layer, Tile, [f], null), f.Layer.Key()).Single();
            Assert.Equal(f.Geometry.Dimension, decoded.Geometry.Dimension);
            Assert.True(cut == buffered.Contains(decoded.Geometry.EnvelopeInternal), $"{f.Id}: {decoded.Geometry.EnvelopeInternal} against {buffered}");
            if (!cut) Assert.Equal(f.Geometry.EnvelopeInternal.MaxX, decoded.Geometry.EnvelopeInternal.MaxX, 4);
        }
    }

    [Fact]
    public void A_tile_over_the_cap_keeps_its_largest_features_and_says_how_many_it_left_out()
    {
        var b = Tile.Bounds;
        var step = b.Width / 160;
        var features = new List<StoredFeature>();
        // A grid of squares; every 1000th is larger than the rest and the last ten are slivers.
        for (var i = 0; i < TileEncoder.MaxFeatures + 10; i++)
        {
            var (col, row) = (i % 160, i / 160);
            var half = i >= TileEncoder.MaxFeatures ? step / 20 : i % 1000 == 0 ? step * 0.45 : step * 0.3;
            features.Add(Feature(Layer.Buildings, $"b{i:D6}", Square(b.MinX + (col + 0.5) * step, b.MaxY - (row + 0.5) * step * 0.8, half)));
        }
        var encoded = TileEncoder.Encode(Layer.Buildings, Tile, features, null);
        Assert.Equal((TileEncoder.MaxFeatures, 10), (encoded.Features, encoded.Dropped));
        var ids = Decode(encoded, "buildings").Select(f => (string)f.Attributes["id"]).ToHashSet();
        Assert.Equal(TileEncoder.MaxFeatures, ids.Count);
        Assert.DoesNotContain($"b{TileEncoder.MaxFeatures:D6}", ids);
        Assert.Contains("b000000", ids);
    }

    [Fact]
    public void Polygons_keep_their_holes_and_outer_rings_whatever_way_they_were_wound()
    {
        var c = Tile.Bounds.Centre;
        var d = Tile.Bounds.Width / 8;
        Coordinate[] Ring(double half, bool clockwise)
        {
            var ring = new[] { new Coordinate(c.X - half, c.Y - half), new Coordinate(c.X + half, c.Y - half), new Coordinate(c.X + half, c.Y + half), new Coordinate(c.X - half, c.Y + half), new Coordinate(c.X - half, c.Y - half) };
            return clockwise ? ring.Reverse().ToArray() : ring;
        }
        foreach (var clockwise in new[] { false, true })
        {
            var f = GeometryRules.Factory;
            var courtyard = f.CreatePolygon(f.CreateLinearRing(Ring(2 * d, clockwise)), [f.CreateLinearRing(Ring(d, clockwise))]);
            var decoded = Decode(TileEncoder.Encode(Layer.Buildings, Tile, [Feature(Layer.Buildings, "b1", courtyard)], null), "buildings").Single().Geometry;
            var polygon = Assert.IsType<Polygon>(decoded);
            Assert.Equal(1, polygon.NumInteriorRings);
            Assert.Equal(courtyard.Area, polygon.Area, courtyard.Area / 100);
            Assert.True(polygon.Shell.EnvelopeInternal.Contains(polygon.Holes[0].EnvelopeInternal));
        }
    }

    [Fact]
    public void A_feature_smaller_than_a_unit_at_this_zoom_stays_in_the_tile_as_a_unit_square()
    {
        // A district at z0: a few kilometres, a fraction of one of the tile's 4096 units; it intersects the tile, so it is in it.
        var world = new TileAddress(0, 0, 0);
        var district = Feature(Layer.Districts, "520304", Square(106.83, 27.54, 0.01));
        var road = Feature(Layer.Network, "r1", GeometryRules.Factory.CreateLineString([new(106.83, 27.54), new(106.831, 27.54)]));
        foreach (var f in new[] { district, road })
        {
            var encoded = TileEncoder.Encode(f.Layer, world, [f], null);
            Assert.Equal(1, encoded.Features);
            using var stream = new MemoryStream(encoded.Bytes);
            var decoded = new MapboxTileReader().Read(stream, new NetTopologySuite.IO.VectorTiles.Tiles.Tile(0, 0, 0)).Layers.Single().Features.Single();
            Assert.Equal(f.Id, decoded.Attributes["id"]);
            Assert.Equal(f.Geometry.Dimension, decoded.Geometry.Dimension);
            Assert.True(decoded.Geometry.EnvelopeInternal.Distance(f.Geometry.EnvelopeInternal) < 0.2, $"{f.Id} decodes at {decoded.Geometry.EnvelopeInternal}");
        }
    }
}
