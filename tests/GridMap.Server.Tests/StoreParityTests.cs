using System.Text;
using System.Text.Json;
using GridMap.Core.Model;

namespace GridMap.Server.Tests;

/// <summary>
/// The two stores answer alike: the same hostile inputs (BadInputTests.Hostile, and inputs that are stored) sent to a
/// server on the embedded store and one on PostGIS get the same status, codes and pointers, and what is stored reads back
/// the same (issue 12: NUL, lone surrogates and 3-D coordinates used to be accepted by one store and a 500 on the other).
/// </summary>
public sealed class StoreParityTests : IAsyncLifetime
{
    ServerHost _sqlite = null!, _postgis = null!;

    public async Task InitializeAsync()
    {
        _sqlite = await ServerHost.StartAsync("sqlite", BadInputTests.Options);
        _postgis = await ServerHost.StartAsync("postgis", BadInputTests.Options);
        await TinyCity.LoadAsync(_sqlite.Http);
        await TinyCity.LoadAsync(_postgis.Http);
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        await _postgis.DisposeAsync();
    }

    /// <summary>Accepted on both (or refused on both): stored as the other store stores it.</summary>
    static readonly (string Name, string Layer, string Body)[] Stored =
    [
        ("3-D point", "stations", """{"type":"Feature","id":"p3","geometry":{"type":"Point","coordinates":[106.825,27.526,1021.5]},"properties":{"kind":"clinic"}}"""),
        ("3-D line", "network", """{"type":"Feature","id":"r3","geometry":{"type":"LineString","coordinates":[[106.80,27.53,3],[106.86,27.53,4]]},"properties":{"highway":"footway"}}"""),
        ("tab and newline in text", "stations", """{"type":"Feature","id":"t1","geometry":{"type":"Point","coordinates":[106.826,27.526]},"properties":{"kind":"clinic","name":"a\tb\nc"}}"""),
        ("astral-plane text", "stations", """{"type":"Feature","id":"t2","geometry":{"type":"Point","coordinates":[106.827,27.526]},"properties":{"kind":"clinic","name":"\ud83c\udfe5 𠀀"}}"""),
        ("numeric code on a building", "buildings", """{"type":"Feature","id":"bc","geometry":{"type":"Polygon","coordinates":[[[106.823,27.523],[106.824,27.523],[106.824,27.524],[106.823,27.523]]]},"properties":{"households":3,"code":42}}"""),
        ("numeric grid code", "grids", """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.50]]]},"properties":{"code":520304001001002}}"""),
        ("a bow-tie compound", "compounds", """{"type":"Feature","id":"bow","geometry":{"type":"Polygon","coordinates":[[[106.831,27.531],[106.833,27.533],[106.833,27.531],[106.831,27.533],[106.831,27.531]]]},"properties":{"class":"old"}}"""),
    ];

    [Fact]
    public async Task Both_stores_refuse_and_accept_the_same_inputs_with_the_same_answers()
    {
        var differences = new List<string>();
        foreach (var c in BadInputTests.HostileCases)
        {
            var (a, b) = (await AnswerAsync(_sqlite, c), await AnswerAsync(_postgis, c));
            if (a != b) differences.Add($"{c.Name}: sqlite {a} | postgis {b}");
            Assert.True(a.StartsWith($"{c.Status} "), $"{c.Name}: {a}");
        }
        foreach (var (name, layer, body) in Stored)
        {
            var c = new BadInputTests.Case(name, "POST", $"/api/layers/{layer}/features", body, 201, "");
            var (a, b) = (await AnswerAsync(_sqlite, c), await AnswerAsync(_postgis, c));
            if (a != b) differences.Add($"{name}: sqlite {a} | postgis {b}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
        // What was stored reads back alike (geometry and properties, whatever order jsonb keeps keys in; versions aside).
        Assert.Equal(await StoredAsync(_sqlite), await StoredAsync(_postgis));
    }

    static async Task<string> StoredAsync(ServerHost host)
    {
        var sb = new StringBuilder();
        foreach (var layer in Layers.All)
            foreach (var f in (await host.Store.ListAsync(layer, new GridMap.Core.Store.FeatureQuery(null, 100_000))).Features.OrderBy(f => f.Id, StringComparer.Ordinal))
                sb.Append(layer.Key()).Append('/').Append(f.Id).Append(' ').Append(f.Geometry.AsText()).Append(' ')
                  .Append(Canonical(JsonDocument.Parse(f.Properties.ToJsonString()).RootElement)).Append('\n');
        return sb.ToString();
    }

    /// <summary>JSON with every object's keys sorted: PostGIS's jsonb orders keys its own way.</summary>
    static string Canonical(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Name) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Canonical)) + "]",
        _ => e.GetRawText(),
    };

    /// <summary>Status, then each error's code and pointer (or the stored feature's geometry and properties on success).</summary>
    static async Task<string> AnswerAsync(ServerHost host, BadInputTests.Case c)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        if (c.IfMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", (await host.Http.GetAsync(c.Path.Split('?')[0].Replace("/import", ""))).Headers.ETag!.Tag);
        var response = await host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        var root = doc.RootElement;
        if (root.TryGetProperty("errors", out var errors))
            return $"{(int)response.StatusCode} {string.Join(", ", errors.EnumerateArray().Select(e => $"{e.GetProperty("code").GetString()}@{e.GetProperty("pointer").GetString()}"))}";
        return $"{(int)response.StatusCode} {(root.TryGetProperty("geometry", out var g) ? g.GetRawText() : "")} {(root.TryGetProperty("properties", out var p) ? Canonical(p) : "")}";
    }
}
