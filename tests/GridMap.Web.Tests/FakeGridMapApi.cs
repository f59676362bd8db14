using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace GridMap.Web.Tests;

/// <summary>
/// A stand-in for the gridmap server while its HTTP API is being built: serves web/ as the static root
/// and answers the same API (layers, features with bbox paging, one feature, lookup, search, health)
/// over a small synthetic city of rectangles. Used only when the real server is not runnable;
/// <see cref="WebFixture"/> says which one a run used.
/// </summary>
public sealed class FakeGridMapApi : IDisposable
{
    readonly HttpListener _listener = new();
    readonly string _webRoot;
    readonly FakeCity _city = new();
    readonly CancellationTokenSource _stop = new();

    public string BaseUrl { get; }

    public FakeGridMapApi(string webRoot, int port)
    {
        _webRoot = webRoot;
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    void Handle(HttpListenerContext ctx)
    {
        var res = ctx.Response;
        try
        {
            var path = ctx.Request.Url!.AbsolutePath;
            var q = ctx.Request.QueryString;
            if (path.StartsWith("/api/", StringComparison.Ordinal)) Api(path, q, res);
            else Static(path, res);
        }
        catch (Exception e)
        {
            Json(res, new JsonObject { ["title"] = e.Message }, 500);
        }
        finally
        {
            try { res.Close(); } catch { /* client went away */ }
        }
    }

    void Api(string path, System.Collections.Specialized.NameValueCollection q, HttpListenerResponse res)
    {
        var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        switch (parts)
        {
            case ["api", "health"]:
                Json(res, new JsonObject { ["status"] = "ok", ["store"] = "fake" });
                return;
            case ["api", "layers"]:
                Json(res, new JsonArray(FakeCity.Layers.Select(l => (JsonNode)new JsonObject
                {
                    ["layer"] = l.Key, ["label"] = l.Label, ["count"] = _city.Features[l.Key].Count,
                }).ToArray()));
                return;
            case ["api", "layers", var layer, "features"] when _city.Features.ContainsKey(layer):
            {
                var all = _city.Features[layer].AsEnumerable();
                if (q["bbox"] is { } bboxText)
                {
                    var b = bboxText.Split(',').Select(double.Parse).ToArray();
                    all = all.Where(f => f.Box[0] <= b[2] && f.Box[2] >= b[0] && f.Box[1] <= b[3] && f.Box[3] >= b[1]);
                }
                var matched = all.ToList();
                var limit = Math.Min(int.Parse(q["limit"] ?? "1000"), 10000);
                var offset = int.Parse(q["offset"] ?? "0");
                var page = matched.Skip(offset).Take(limit).Select(f => (JsonNode)f.ToJson()).ToArray();
                Json(res, new JsonObject
                {
                    ["type"] = "FeatureCollection",
                    ["features"] = new JsonArray(page),
                    ["numberMatched"] = matched.Count,
                    ["numberReturned"] = page.Length,
                });
                return;
            }
            case ["api", "layers", var layer, "features", var id] when _city.Features.ContainsKey(layer):
            {
                var f = _city.Features[layer].FirstOrDefault(f => f.Id == id);
                if (f is null) { Json(res, new JsonObject { ["title"] = "not found" }, 404); return; }
                res.Headers["ETag"] = $"\"{f.Version}\"";
                Json(res, f.ToJson());
                return;
            }
            case ["api", "lookup"]:
                Json(res, _city.Lookup(double.Parse(q["lon"]!), double.Parse(q["lat"]!)));
                return;
            case ["api", "search"]:
                Json(res, _city.Search(q["q"] ?? "", int.Parse(q["limit"] ?? "20")));
                return;
            default:
                Json(res, new JsonObject { ["title"] = "not found" }, 404);
                return;
        }
    }

    static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".mjs"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8", [".json"] = "application/json", [".png"] = "image/png", [".svg"] = "image/svg+xml",
    };

    void Static(string path, HttpListenerResponse res)
    {
        var rel = path == "/" ? "index.html" : Uri.UnescapeDataString(path.TrimStart('/'));
        var full = Path.GetFullPath(Path.Combine(_webRoot, rel));
        if (!full.StartsWith(Path.GetFullPath(_webRoot), StringComparison.Ordinal) || !File.Exists(full))
        {
            res.StatusCode = 404;
            return;
        }
        res.ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(full), "application/octet-stream");
        var bytes = File.ReadAllBytes(full);
        res.ContentLength64 = bytes.Length;
        res.OutputStream.Write(bytes);
    }

    static void Json(HttpListenerResponse res, JsonNode body, int status = 200)
    {
        res.StatusCode = status;
        res.ContentType = "application/json; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        res.ContentLength64 = bytes.Length;
        res.OutputStream.Write(bytes);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch { /* already closed */ }
    }
}

/// <summary>A synthetic city: one district, 2 streets, 4 communities of 8 grids, compounds, buildings, stations, lines.</summary>
sealed class FakeCity
{
    public static readonly (string Key, string Label)[] Layers =
    [
        ("districts", "区/县"), ("streets", "街道"), ("communities", "社区"), ("compounds", "小区"),
        ("buildings", "楼栋"), ("grids", "网格"), ("stations", "服务站点"), ("network", "步行网络"),
    ];

    public sealed record Feature(string Id, double[] Box, JsonObject Props, JsonObject Geometry, int Version = 1)
    {
        public double[] Center => [(Box[0] + Box[2]) / 2, (Box[1] + Box[3]) / 2];

        public JsonObject ToJson() => new()
        {
            ["type"] = "Feature", ["id"] = Id, ["version"] = Version,
            ["geometry"] = Geometry.DeepClone(), ["properties"] = Props.DeepClone(),
        };
    }

    public readonly Dictionary<string, List<Feature>> Features = Layers.ToDictionary(l => l.Key, _ => new List<Feature>());

    const double Lon0 = 106.90, Lat0 = 27.70, Dx = 0.005, Dy = 0.0045; // one grid ≈ 500 m × 500 m
    static readonly string[] Classes = ["commercial_residential", "old", "work_unit", "resettlement", "commercial_housing", "affordable", "self_built", "elderly_care"];
    static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    static readonly string[] Kinds =
    [
        "party_service_centre", "community_service_station", "grid_station", "micro_station", "canteen", "day_care", "health_station",
        "clinic", "hospital", "kindergarten", "primary_school", "middle_school", "school", "market", "other",
    ];

    static JsonObject Rect(double w, double s, double e, double n) => new()
    {
        ["type"] = "Polygon",
        ["coordinates"] = new JsonArray(new JsonArray(P(w, s), P(e, s), P(e, n), P(w, n), P(w, s))),
    };

    static JsonArray P(double lon, double lat) => new(Math.Round(lon, 7), Math.Round(lat, 7));

    void Add(string layer, string id, double w, double s, double e, double n, JsonObject props) =>
        Features[layer].Add(new Feature(id, [w, s, e, n], props, Rect(w, s, e, n)));

    public FakeCity()
    {
        // 8 × 4 grid cells; the district spans all, a street is 4 × 4, a community 4 × 2.
        Add("districts", "520304", Lon0, Lat0 - 4 * Dy, Lon0 + 8 * Dx, Lat0, new() { ["code"] = "520304", ["name"] = "播州区" });
        string[] streetNames = ["桂花桥街道", "南白街道"];
        string[] communityNames = ["南坛社区", "桂园社区", "龙井社区", "新民社区"];
        int seqPerson = 0, building = 0;
        for (var st = 0; st < 2; st++)
        {
            var stCode = $"520304{st + 1:000}";
            Add("streets", stCode, Lon0 + st * 4 * Dx, Lat0 - 4 * Dy, Lon0 + (st + 1) * 4 * Dx, Lat0,
                new() { ["code"] = stCode, ["name"] = streetNames[st], ["district_code"] = "520304" });
            for (var cm = 0; cm < 2; cm++)
            {
                var cmCode = $"{stCode}{cm + 1:000}";
                double cw = Lon0 + st * 4 * Dx, cn = Lat0 - cm * 2 * Dy;
                Add("communities", cmCode, cw, cn - 2 * Dy, cw + 4 * Dx, cn,
                    new() { ["code"] = cmCode, ["name"] = communityNames[st * 2 + cm], ["street_code"] = stCode });
                var seq = 0;
                for (var row = 0; row < 2; row++)
                for (var col = 0; col < 4; col++)
                {
                    seq++; // west→east, then north→south
                    double w = cw + col * Dx, n = cn - row * Dy, e = w + Dx, s = n - Dy;
                    var code = $"{cmCode}{seq:000}";
                    var person = seqPerson++;
                    Add("grids", code, w, s, e, n, new()
                    {
                        ["code"] = code, ["name"] = $"{communityNames[st * 2 + cm]}第{seq}网格", ["community_code"] = cmCode,
                        ["households"] = 200 + (person * 37) % 100, ["status"] = "active",
                        ["workers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = $"{Surnames[person % Surnames.Length]}网格{person + 1}", ["phone"] = $"138{person:00000000}",
                        }),
                    });
                    var cls = Classes[person % Classes.Length];
                    var compoundId = $"c{person + 1}";
                    double m = 0.12; // compound inset within its grid
                    Add("compounds", compoundId, w + m * Dx, s + m * Dy, e - m * Dx, n - m * Dy, new()
                    {
                        ["name"] = $"{(person % 3 == 0 ? "桂苑" : person % 3 == 1 ? "阳光" : "华府")}小区{person + 1}期", ["class"] = cls,
                        ["households"] = 180 + person % 50, ["community_code"] = cmCode,
                    });
                    for (var bx = 0; bx < 3; bx++)
                    for (var by = 0; by < 2; by++)
                    {
                        double bw = w + (0.2 + bx * 0.22) * Dx, bs = s + (0.25 + by * 0.3) * Dy;
                        building++;
                        Add("buildings", $"b{building}", bw, bs, bw + 0.14 * Dx, bs + 0.15 * Dy, new()
                        {
                            ["households"] = (building * 29) % 150, ["levels"] = 6 + building % 12, ["building"] = "apartments",
                            ["address"] = $"{streetNames[st]}{building}号", ["compound"] = compoundId, ["grid_code"] = code, ["community_code"] = cmCode,
                        });
                    }
                }
            }
        }
        for (var i = 0; i < 30; i++)
        {
            var kind = Kinds[i % Kinds.Length];
            double lon = Lon0 + Dx * (0.5 + (i * 2.3) % 7.5), lat = Lat0 - Dy * (0.3 + (i * 1.7) % 3.5);
            Features["stations"].Add(new Feature($"s{i + 1}", [lon, lat, lon, lat],
                new() { ["kind"] = kind, ["name"] = $"示例{kind}{i + 1}" },
                new() { ["type"] = "Point", ["coordinates"] = P(lon, lat) }));
        }
        var line = 0;
        void Line(double w, double s, double e, double n, string highway, JsonObject? extra = null)
        {
            var props = extra ?? new JsonObject();
            props["highway"] = highway;
            Features["network"].Add(new Feature($"w{++line}", [w, s, e, n], props,
                new() { ["type"] = "LineString", ["coordinates"] = new JsonArray(P(w, s), P(e, n)) }));
        }
        for (var k = 0; k <= 16; k++)
            Line(Lon0 + k * Dx / 2, Lat0 - 4 * Dy, Lon0 + k * Dx / 2, Lat0, k % 2 == 0 ? "residential" : "footway");
        for (var k = 0; k <= 8; k++)
            Line(Lon0, Lat0 - k * Dy / 2, Lon0 + 8 * Dx, Lat0 - k * Dy / 2, k == 4 ? "motorway" : k % 2 == 0 ? "tertiary" : "footway",
                k == 3 ? new JsonObject { ["access"] = "private" } : null);
    }

    static bool Inside(Feature f, double lon, double lat) => lon >= f.Box[0] && lon <= f.Box[2] && lat >= f.Box[1] && lat <= f.Box[3];

    static double Metres(double lon1, double lat1, double lon2, double lat2)
    {
        var k = Math.Cos(lat1 * Math.PI / 180);
        return Math.Sqrt(Math.Pow((lon2 - lon1) * k, 2) + Math.Pow(lat2 - lat1, 2)) * 111_320;
    }

    public JsonObject Lookup(double lon, double lat)
    {
        Feature? At(string layer) => Features[layer].FirstOrDefault(f => Inside(f, lon, lat));
        var street = At("streets");
        var community = At("communities");
        var compound = At("compounds");
        var grid = At("grids");
        var building = At("buildings");
        var nearest = Features["stations"]
            .Select(s => (s, d: Metres(lon, lat, s.Box[0], s.Box[1])))
            .GroupBy(x => x.s.Props["kind"]!.ToString())
            .Select(g => g.MinBy(x => x.d))
            .OrderBy(x => x.d)
            .Select(x => (JsonNode)new JsonObject
            {
                ["kind"] = x.s.Props["kind"]!.ToString(), ["label"] = x.s.Props["kind"]!.ToString() switch
                {
                    "party_service_centre" => "党群服务中心", "community_service_station" => "社区服务站", "grid_station" => "网格服务站",
                    "kindergarten" => "幼儿园", "primary_school" => "小学", "market" => "菜市场 / 生鲜超市", var k => k,
                },
                ["id"] = x.s.Id, ["name"] = x.s.Props["name"]!.ToString(), ["distance_m"] = Math.Round(x.d, 1),
                ["lon"] = x.s.Box[0], ["lat"] = x.s.Box[1],
            }).ToArray();
        return new JsonObject
        {
            ["lon"] = lon, ["lat"] = lat,
            ["street"] = street is null ? null : new JsonObject { ["code"] = street.Id, ["name"] = street.Props["name"]!.ToString() },
            ["community"] = community is null ? null : new JsonObject { ["code"] = community.Id, ["name"] = community.Props["name"]!.ToString() },
            ["compound"] = compound is null ? null : new JsonObject
            {
                ["id"] = compound.Id, ["name"] = compound.Props["name"]!.ToString(), ["class"] = compound.Props["class"]!.ToString(),
            },
            ["grid"] = grid is null ? null : new JsonObject
            {
                ["code"] = grid.Id, ["name"] = grid.Props["name"]!.ToString(), ["households"] = grid.Props["households"]!.DeepClone(),
                ["workers"] = grid.Props["workers"]!.DeepClone(),
            },
            ["building"] = building is null ? null : new JsonObject
            {
                ["id"] = building.Id, ["households"] = building.Props["households"]!.DeepClone(), ["address"] = building.Props["address"]!.ToString(),
            },
            ["nearest_stations"] = new JsonArray(nearest),
        };
    }

    public JsonObject Search(string q, int limit)
    {
        q = q.Trim();
        IEnumerable<(string Layer, Feature F, string Label)> hits = q.Length == 0 ? [] :
            Features["grids"].Where(g => g.Id.Contains(q) || g.Props["workers"]!.ToJsonString().Contains(q))
                .Select(g => ("grids", g, $"{g.Id} {g.Props["name"]}"))
                .Concat(Features["compounds"].Where(c => c.Props["name"]!.ToString().Contains(q))
                    .Select(c => ("compounds", c, c.Props["name"]!.ToString())));
        return new JsonObject
        {
            ["results"] = new JsonArray(hits.Take(limit).Select(h => (JsonNode)new JsonObject
            {
                ["layer"] = h.Layer, ["id"] = h.F.Id, ["label"] = h.Label,
                ["center"] = new JsonArray(h.F.Center[0], h.F.Center[1]),
                ["bbox"] = new JsonArray(h.F.Box[0], h.F.Box[1], h.F.Box[2], h.F.Box[3]),
            }).ToArray()),
        };
    }
}
