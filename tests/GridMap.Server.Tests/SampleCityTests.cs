using System.Text.Json;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.IO.GeoJson;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>The sample city a new user first sees: committed files made by project code, loaded by the default run.</summary>
public sealed class SampleCityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-sample-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void Geodata_sample_is_exactly_what_gridmap_sample_writes()
    {
        var dir = RepoPaths.SampleCity();
        Assert.NotNull(dir);
        foreach (var batch in SampleCityGenerator.Generate().Batches)
        {
            using var generated = new MemoryStream();
            GeoJsonFeatures.WriteCollection(generated, batch.Features);
            var committed = File.ReadAllBytes(Path.Combine(dir, batch.Layer.Key() + ".geojson"));
            Assert.True(generated.ToArray().AsSpan().SequenceEqual(committed),
                $"geodata/sample/{batch.Layer.Key()}.geojson differs from the generator: run `gridmap sample --out geodata/sample`");
        }
    }

    [Fact]
    public async Task A_new_embedded_store_starts_with_the_sample_city_and_the_map_page()
    {
        // As the README's run command serves it: on loopback, open to anonymous readers.
        var options = new GridMapOptions { DataDirectory = _dir, Open = true };
        await using var store = await StoreFactory.OpenAsync(options, TextWriter.Null);
        var counts = await store.CountAsync();
        Assert.Equal(1, counts[Layer.Districts]);
        Assert.Equal(3, counts[Layer.Streets]);
        Assert.InRange(counts[Layer.Communities], 10, 14);
        Assert.InRange(counts[Layer.Compounds], 50, 80);
        Assert.InRange(counts[Layer.Buildings], 2_500, 3_500);
        Assert.InRange(counts[Layer.Grids], 180, 300);
        Assert.InRange(counts[Layer.Stations], 30, 50);
        Assert.True(counts[Layer.Network] > 500);

        await using var app = GridMapServer.Build(options, store, urls: ["http://127.0.0.1:0"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var page = await http.GetStringAsync("/");
        Assert.Contains("maplibre", page, StringComparison.OrdinalIgnoreCase);

        // Lookup at a grid's interior point names that grid, its community and its worker.
        var grid = (await store.ListAsync(Layer.Grids, new(null, 1))).Features[0];
        var at = grid.Geometry.InteriorPoint;
        var lookup = JsonDocument.Parse(await http.GetStringAsync($"/api/lookup?lon={at.X}&lat={at.Y}")).RootElement;
        Assert.Equal(grid.Id, lookup.GetProperty("grid").GetProperty("code").GetString());
        Assert.Equal(15, grid.Id.Length);
        // An anonymous visitor sees no worker's name (contract, personal data).
        Assert.Equal(0, lookup.GetProperty("grid").GetProperty("workers").GetArrayLength());
        Assert.Equal(grid.Text("community_code"), lookup.GetProperty("community").GetProperty("code").GetString());
        await app.StopAsync();
    }
}
