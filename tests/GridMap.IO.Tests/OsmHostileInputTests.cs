using System.Text;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.IO.Osm;

namespace GridMap.IO.Tests;

/// <summary>
/// Hostile OSM files are refused before they cost memory: each PBF blob is inflated only up to the cap, whatever its
/// raw_size says, and string tables and elements are counted before OsmSharp decodes a block.
/// </summary>
public class OsmHostileInputTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static OsmImport Read(byte[] file, OsmLimits? limits = null) => OsmImporter.Read(new MemoryStream(file), new EstimationOptions(), limits);

    static OsmImport Xml(string xml, OsmLimits? limits = null) => Read(Encoding.UTF8.GetBytes(xml), limits);

    [Fact]
    public void A_blob_that_inflates_beyond_the_cap_stops_inflating_at_the_cap_whatever_raw_size_says()
    {
        // 40 MiB of zeros in ~40 KB, declared as 100 bytes; the cap is 1 MiB here.
        var file = PbfBuilder.InflationBomb(40 << 20);
        Assert.True(file.Length < 100_000, $"{file.Length} bytes");
        var limits = new OsmLimits { MaxBlobBytes = 1 << 20 };

        var e = Assert.Throws<OsmRefusedException>(() => OsmPbfGuard.Scan(new MemoryStream(file), limits));
        Assert.True(e.TooLarge);
        Assert.Equal("pbf_blob_bytes", e.Parameters["limit_name"]);
        Assert.Contains("1,048,576", e.Message);
        Assert.True((long)e.Parameters["found"]! <= (1 << 20) + 64 * 1024, $"inflated {e.Parameters["found"]} bytes");

        // The inflater itself: what it produced is counted, and it is the cap plus at most one chunk.
        var zlib = ZlibOf(file);
        long inflated = 0;
        Assert.Throws<OsmRefusedException>(() => OsmPbfGuard.Inflate(zlib, 1 << 20, "test", ref inflated));
        Assert.InRange(inflated, 1 << 20, (1 << 20) + 64 * 1024);
        output.WriteLine($"{file.Length:N0}-byte PBF inflating to 40 MiB: stopped after {inflated:N0} bytes (cap 1 MiB)");

        // And the whole import refuses it the same way (with the default 32 MiB cap too).
        Assert.Equal("pbf_blob_bytes", Assert.Throws<OsmRefusedException>(() => Read(file, limits)).Parameters["limit_name"]);
        var defaults = Assert.Throws<OsmRefusedException>(() => Read(file));
        Assert.Equal("pbf_blob_bytes", defaults.Parameters["limit_name"]);
        Assert.True((long)defaults.Parameters["found"]! <= (32 << 20) + 64 * 1024);
    }

    [Fact]
    public void A_30_KB_pbf_whose_string_table_has_10_million_entries_is_refused_before_OsmSharp_decodes_it()
    {
        var file = PbfBuilder.StringTableBomb(10_000_000);
        Assert.True(file.Length < 100_000, $"{file.Length} bytes");
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<OsmRefusedException>(() => Read(file));

        // Counted, not decoded: the scan inflates the 30 MB block once (one buffer); OsmSharp would allocate 10 M arrays.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{file.Length:N0}-byte PBF, 10,000,000 strings: refused after allocating {allocated:N0} bytes");
        Assert.Equal("pbf_strings_per_block", e.Parameters["limit_name"]);
        Assert.Equal(10_000_000L, e.Parameters["found"]);
        Assert.Contains("100,000", e.Message);
        Assert.True(allocated < 200L << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Elements_per_block_and_in_the_file_are_capped()
    {
        var block = PbfBuilder.DenseNodes(5_000);
        Assert.Equal(5_000, OsmPbfGuard.Scan(new MemoryStream(block), new OsmLimits()).Elements);
        var perBlock = Assert.Throws<OsmRefusedException>(() => Read(block, new OsmLimits { MaxElementsPerBlock = 4_000 }));
        Assert.Equal("pbf_elements_per_block", perBlock.Parameters["limit_name"]);

        var twice = block.Concat(block).ToArray();
        var total = Assert.Throws<OsmRefusedException>(() => Read(twice, new OsmLimits { MaxElements = 9_000 }));
        Assert.Equal("elements", total.Parameters["limit_name"]);
        Assert.Contains("9,000", total.Message);

        var integers = Assert.Throws<OsmRefusedException>(() => Read(block, new OsmLimits { MaxIntegersPerBlock = 10_000 }));
        Assert.Equal("pbf_integers_per_block", integers.Parameters["limit_name"]);
    }

    [Fact]
    public void Xml_elements_are_counted_as_they_are_read()
    {
        var nodes = string.Concat(Enumerable.Range(1, 50).Select(i => $"<node id='{i}' lat='27.5' lon='106.8'/>"));
        var e = Assert.Throws<OsmRefusedException>(() => Xml($"<osm version='0.6'>{nodes}</osm>", new OsmLimits { MaxElements = 20 }));
        Assert.Equal("elements", e.Parameters["limit_name"]);
        Assert.Equal(50, Xml($"<osm version='0.6'>{nodes}</osm>").Elements.Nodes);
    }

    [Fact]
    public void A_file_larger_than_the_byte_limit_is_refused_unread()
    {
        var e = Assert.Throws<OsmRefusedException>(() => Xml("<osm version='0.6'>" + new string(' ', 5000) + "</osm>", new OsmLimits { MaxBytes = 1000 }));
        Assert.Equal("bytes", e.Parameters["limit_name"]);
    }

    [Theory]
    [InlineData("<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><osm version='0.6'><node id='1' lat='1' lon='1'><tag k='name' v='&b;'/></node></osm>")]
    [InlineData("<!-- a comment --><!doctype osm SYSTEM 'file:///etc/passwd'><osm version='0.6'/>")]
    public void Xml_with_a_dtd_is_refused(string xml)
    {
        var e = Assert.Throws<OsmRefusedException>(() => Xml(xml));
        Assert.Equal("dtd_not_allowed", e.Code);
        Assert.False(e.TooLarge);
    }

    const string Building = "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/><tag k='name' v='NAME'/></way>";
    const string Corners = "<node id='1' lat='27.52' lon='106.82'/><node id='2' lat='27.52' lon='106.8203'/><node id='3' lat='27.5203' lon='106.8203'/>";

    [Theory]
    [InlineData("&#xD800;", "surrogate")]
    [InlineData("a&#xDC00;b", "surrogate")]
    [InlineData("&#x0;", "NUL")]
    public void Text_no_store_can_hold_is_refused_naming_the_element(string name, string what)
    {
        var e = Assert.Throws<OsmRefusedException>(() => Xml($"<osm version='0.6'>{Corners}{Building.Replace("NAME", name)}</osm>"));
        Assert.Equal("invalid_text", e.Code);
        Assert.Contains("way/10", e.Message);
        Assert.Contains(what, e.Message);
        Assert.Equal("name", e.Parameters["property"]);
        // A pair of surrogates (a character beyond the BMP) is fine.
        var ok = Xml($"<osm version='0.6'>{Corners}{Building.Replace("NAME", "&#x1F3E0;")}</osm>");
        Assert.Equal("\U0001F3E0", ok.Features(Layer.Buildings).Single().Text("name"));
    }

    [Theory]
    [InlineData("<osm version='0.6'/>")]
    [InlineData("<osm version='0.6'><bounds minlat='27.5' minlon='106.8' maxlat='27.6' maxlon='106.9'/></osm>")]
    [InlineData("<osm version='0.6'><node id='1' lat='NaN' lon='106.8'><tag k='amenity' v='clinic'/></node><node id='2' lat='27.5' lon='INF'><tag k='amenity' v='clinic'/></node></osm>")]
    [InlineData("<osm version='0.6'><node id='1' lat='95' lon='106.8'/><node id='2' lat='27.5' lon='200'/><node id='3' lat='27.5' lon='106.8'/>"
        + "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/></way></osm>")]
    [InlineData("<osm version='0.6'><way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/></way><way id='11'><nd ref='7'/><nd ref='8'/><tag k='highway' v='residential'/></way></osm>")]
    public void Nothing_importable_is_said_and_counted(string xml)
    {
        var read = Xml(xml);
        Assert.True(read.NothingImportable, string.Join(", ", read.Counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.Empty(read.Importable);
        Assert.Contains("nothing GridMap imports", read.DescribeNothingImportable());
    }

    [Fact]
    public void Duplicate_ids_keep_the_last_and_bring_no_duplicate_feature()
    {
        var xml = $"<osm version='0.6'>{Corners}{Building}{Building.Replace("NAME", "second")}"
            + "<relation id='5'><member type='way' ref='10' role='outer'/><tag k='type' v='multipolygon'/><tag k='landuse' v='residential'/></relation>"
            + "<relation id='5'><member type='way' ref='10' role='outer'/><tag k='type' v='multipolygon'/><tag k='landuse' v='residential'/></relation></osm>";
        var read = Xml(xml);
        Assert.Equal("second", read.Features(Layer.Buildings).Single().Text("name"));
        Assert.Single(read.Features(Layer.Compounds), c => c.Id == "r5");
        Assert.Contains(read.Warnings, w => w.Contains("id came twice"));
    }

    static byte[] ZlibOf(byte[] framed)
    {
        // The framed blob: 4-byte length, header, then the Blob message whose field 3 is the zlib data.
        var headerLength = (framed[0] << 24) | (framed[1] << 16) | (framed[2] << 8) | framed[3];
        var blob = framed.AsSpan(4 + headerLength);
        var i = 0;
        while (i < blob.Length)
        {
            var key = blob[i++];
            if ((key & 7) == 0) { while (blob[i++] >= 0x80) { } continue; }
            long length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = blob[i++];
                length |= (long)(b & 0x7f) << shift;
                if (b < 0x80) break;
            }
            if (key >> 3 == 3) return blob.Slice(i, (int)length).ToArray();
            i += (int)length;
        }
        throw new InvalidDataException("no zlib data");
    }
}
