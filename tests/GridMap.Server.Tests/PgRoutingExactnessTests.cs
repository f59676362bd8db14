using GridMap.Core.Network;
using GridMap.Core.Spatial;
using GridMap.IO.Coverage;
using GridMap.Core.Schema;
using GridMap.Testing;
using System.Text.Json;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using Npgsql;
using Xunit.Abstractions;

namespace GridMap.Server.Tests;

/// <summary>
/// GridMap's walking distances against pgRouting's on central Chengdu: its walkable roads as the network, its schools,
/// kindergartens, clinics and hospitals as stations, its compounds' centroids as buildings. pgRouting gets only the
/// walkable lines: it cuts them into segments, finds the nodes (shared vertices), measures lengths in the same
/// Gauss–Krüger zone, finds the connected components (pgr_connectedComponents) and puts every point on its nearest
/// segment of a component of at least 50 nodes itself, all in SQL — so two implementations are compared.
/// </summary>
public sealed class PgRoutingExactnessTests(ITestOutputHelper output) : IAsyncLifetime
{
    static readonly string[] StationAmenities = ["school", "kindergarten", "clinic", "doctors", "hospital"];
    string _db = "";

    public async Task InitializeAsync() => _db = await PostGisDatabase.CreateDatabaseAsync("pgrouting_exact");
    public Task DisposeAsync() => PostGisDatabase.DropDatabaseAsync(_db);

    [Fact]
    public async Task Every_buildings_walk_to_its_nearest_station_equals_pgroutings_within_half_a_metre()
    {
        var problems = new List<FeatureProblem>();
        var roads = CoverageFiles.ReadNetwork("roads", File.ReadAllBytes(CliTests.Shared("geodata/chengdu-2018/roads.geojson")), problems, out _);
        var stations = ReadPoints("geodata/chengdu-2018/pois.geojson")
            .Where(f => f.Attributes.GetOptionalValue("amenity") is string a && StationAmenities.Contains(a))
            .Select((f, i) => new CoverageStation($"s{i}", null, (Point)f.Geometry))
            .ToList();
        var buildings = ReadPoints("geodata/chengdu-2018/compounds.geojson")
            .Select((f, i) => new CoveragePlace($"b{i}", 100, f.Geometry.Centroid))
            .ToList();
        Assert.Empty(problems);
        Assert.True(roads.Count > 1000 && stations.Count > 80 && buildings.Count > 150, $"{roads.Count} roads, {stations.Count} stations, {buildings.Count} buildings");

        // Both sides attach points only to components of at least 50 nodes (WalkNetwork.MinComponentNodes); GridMap's default.
        const int minComponentNodes = WalkNetwork.DefaultMinComponentNodes;
        var gridMap = WalkCoverage.Compute(new CoverageInput(buildings, stations, roads, [new("1000", 1000)], 1.25) { MinComponentNodes = minComponentNodes }).Places;
        var zone = MetricProjection.For(new GeometryCollection(buildings.Select(b => b.Geometry).ToArray())).Epsg;
        var pgRouting = await PgRoutingWalks(roads, stations, buildings, zone, minComponentNodes);

        var (reachable, worst) = (0, 0.0);
        for (var i = 0; i < buildings.Count; i++)
        {
            var ours = gridMap[i].Metres;
            var theirs = pgRouting.GetValueOrDefault(i);
            Assert.True(ours is null == theirs is null, $"{buildings[i].Id}: GridMap {ours?.ToString() ?? "unreachable"}, pgRouting {theirs?.ToString() ?? "unreachable"}");
            if (ours is null) continue;
            reachable++;
            worst = Math.Max(worst, Math.Abs(ours.Value - theirs!.Value));
            Assert.True(Math.Abs(ours.Value - theirs!.Value) <= 0.5, $"{buildings[i].Id}: GridMap {ours:0.000} m, pgRouting {theirs:0.000} m");
        }
        output.WriteLine($"{reachable} of {buildings.Count} buildings reach one of {stations.Count} stations; largest difference {worst:0.000000} m");
        Assert.True(reachable >= buildings.Count * 9 / 10, $"only {reachable} of {buildings.Count} buildings reach a station");
    }

    static IEnumerable<IFeature> ReadPoints(string relative) =>
        JsonSerializer.Deserialize<FeatureCollection>(File.ReadAllBytes(CliTests.Shared(relative)),
            new JsonSerializerOptions { Converters = { new GeoJsonConverterFactory() } })!;

    /// <summary>Per building index, pgRouting's walk to its nearest station (access legs included); absent when unreachable.</summary>
    async Task<Dictionary<int, double?>> PgRoutingWalks(IReadOnlyList<LineString> roads, IReadOnlyList<CoverageStation> stations,
        IReadOnlyList<CoveragePlace> buildings, int srid, int minComponentNodes)
    {
        await using var conn = new NpgsqlConnection(_db);
        await conn.OpenAsync();
        var wkb = new WKBWriter();
        await Exec(conn, "CREATE EXTENSION pgrouting");
        await Exec(conn, "CREATE TABLE line (geom geometry(LineString, 4326))");
        await Exec(conn, "INSERT INTO line SELECT ST_GeomFromWKB(b, 4326) FROM unnest(@wkb) b", ("wkb", roads.Select(r => wkb.Write(r)).ToArray()));
        await Exec(conn, "CREATE TABLE place (pid int, geom geometry(Point, 4326))");
        // Stations are points 1..S, buildings S+1..S+B.
        var points = stations.Select(s => (Geometry)s.Location).Concat(buildings.Select(b => b.Geometry)).Select(g => wkb.Write(g)).ToArray();
        await Exec(conn, "INSERT INTO place SELECT n, ST_GeomFromWKB(b, 4326) FROM unnest(@wkb) WITH ORDINALITY AS t(b, n)", ("wkb", points));

        // Segments between consecutive vertices; a node per distinct vertex (exact lon/lat), as the walkability rule says.
        await Exec(conn, $"""
            CREATE TABLE seg AS
              SELECT row_number() OVER () AS id, d.geom AS lonlat, ST_Transform(d.geom, {srid}) AS geom
              FROM line, LATERAL ST_DumpSegments(line.geom) AS d
              WHERE NOT ST_Equals(ST_StartPoint(d.geom), ST_EndPoint(d.geom));
            CREATE TABLE node AS
              SELECT row_number() OVER () AS id, x, y FROM (
                SELECT ST_X(ST_StartPoint(lonlat)) x, ST_Y(ST_StartPoint(lonlat)) y FROM seg
                UNION SELECT ST_X(ST_EndPoint(lonlat)), ST_Y(ST_EndPoint(lonlat)) FROM seg) v;
            CREATE UNIQUE INDEX ON node (x, y);
            CREATE TABLE edge AS
              SELECT s.id, a.id AS source, b.id AS target, ST_Length(s.geom) AS cost, s.geom
              FROM seg s
              JOIN node a ON a.x = ST_X(ST_StartPoint(s.lonlat)) AND a.y = ST_Y(ST_StartPoint(s.lonlat))
              JOIN node b ON b.x = ST_X(ST_EndPoint(s.lonlat)) AND b.y = ST_Y(ST_EndPoint(s.lonlat));
            CREATE INDEX ON edge USING gist (geom);
            -- Points attach only to connected components of at least min(N, largest) nodes, as GridMap's do: pgRouting
            -- finds the components itself.
            CREATE TABLE component AS
              SELECT component, count(*) AS nodes FROM pgr_connectedComponents('SELECT id, source, target, cost, cost AS reverse_cost FROM edge')
              GROUP BY component;
            CREATE TABLE attachable AS
              SELECT e.id FROM edge e
              JOIN pgr_connectedComponents('SELECT id, source, target, cost, cost AS reverse_cost FROM edge') c ON c.node = e.source
              JOIN component USING (component)
              WHERE component.nodes >= LEAST({minComponentNodes}, (SELECT max(nodes) FROM component));
            CREATE TABLE anchor AS
              SELECT p.pid, e.id AS edge_id, ST_LineLocatePoint(e.geom, q.geom) AS fraction, ST_Distance(e.geom, q.geom) AS access,
                     e.source, e.target
              FROM place p
              CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, {srid}) AS geom) q
              CROSS JOIN LATERAL (SELECT id, source, target, geom FROM edge WHERE id IN (SELECT id FROM attachable)
                                  ORDER BY edge.geom <-> q.geom LIMIT 1) e;
            -- pgRouting takes a point at either end of its edge for that vertex, and answers with the vertex's id.
            ALTER TABLE anchor ADD COLUMN vid bigint;
            UPDATE anchor SET vid = CASE fraction WHEN 0 THEN source WHEN 1 THEN target ELSE -pid END;
            """);

        var walks = new Dictionary<int, double?>();
        await using var cmd = new NpgsqlCommand("""
            WITH cost AS (
              SELECT start_pid, end_pid, agg_cost FROM pgr_withPointsCost(
                'SELECT id, source, target, cost, cost AS reverse_cost FROM edge',
                'SELECT pid, edge_id, fraction FROM anchor WHERE fraction > 0 AND fraction < 1',
                ARRAY(SELECT DISTINCT vid FROM anchor WHERE pid <= @stations),
                ARRAY(SELECT DISTINCT vid FROM anchor WHERE pid > @stations),
                directed => false)
              UNION ALL SELECT vid, vid, 0 FROM anchor) -- pgRouting leaves out a walk from a point to itself
            SELECT b.pid, min(c.agg_cost + s.access + b.access)
            FROM cost c
            JOIN anchor s ON s.vid = c.start_pid AND s.pid <= @stations
            JOIN anchor b ON b.vid = c.end_pid AND b.pid > @stations
            GROUP BY b.pid
            """, conn);
        cmd.Parameters.AddWithValue("stations", stations.Count);
        cmd.CommandTimeout = 300;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            walks[reader.GetInt32(0) - stations.Count - 1] = reader.GetDouble(1);
        return walks;
    }

    static async Task Exec(NpgsqlConnection conn, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync();
    }
}
