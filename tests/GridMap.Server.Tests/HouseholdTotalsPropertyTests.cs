using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Server.Import;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;
using GridMap.Testing;
using NetTopologySuite.Geometries;
using Xunit.Abstractions;

namespace GridMap.Server.Tests;

/// <summary>
/// Issue 9's "household totals agree across layers after any import", as a property: a small random city (fixed seed)
/// is imported the way a user's files are (GeoJSON read, <see cref="LayerImport.PrepareAsync"/>,
/// <see cref="LayerImport.WriteAsync"/>, upsert, into an embedded store and, for five seeds, PostGIS) — compounds and
/// buildings in a random order and random batches, then re-imported in part with changed counts, moved buildings and
/// exported files — and after every import the store must keep one total (docs/estimation.md): every compound's
/// households are the sum over the buildings whose <c>compound</c> it is, its remainder unit included; no building holds
/// a negative count; a building stands in the compound whose land holds it; a compound without mapped buildings is held
/// by its remainder alone; a count a file gives a compound stands, unless its mapped buildings hold more.
/// </summary>
public sealed class HouseholdTotalsPropertyTests(ITestOutputHelper output)
{
    /// <summary>Twenty seeds on the embedded store; the first five again on PostGIS.</summary>
    public static TheoryData<string, int> Seeds
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var seed in Enumerable.Range(1, 20)) data.Add("sqlite", seed);
            foreach (var seed in Enumerable.Range(1, 5)) data.Add("postgis", seed);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Household_totals_agree_across_layers_after_any_import(string storeKind, int seed)
    {
        var random = new Random(seed);
        var city = City.Generate(random);
        var (store, cleanup) = await OpenStoreAsync(storeKind);
        try
        {
            var run = new Run(store, city, seed, output);
            foreach (var step in FirstImports(random, city)) await run.ImportAsync(step.Description, step.Batches);
            var rounds = random.Next(3, 6);
            for (var round = 1; round <= rounds; round++)
            {
                var (description, batches) = await city.ReimportAsync(random, store, round);
                await run.ImportAsync(description, batches);
            }
            // The city exercised what the property is about: buildings in compounds, and remainders holding the rest.
            var buildings = (await store.ListAsync(Layer.Buildings, new FeatureQuery(null, 100_000))).Features;
            Assert.Contains(buildings, b => b.Text("compound") is not null && !HouseholdEstimator.IsRemainder(b.Properties));
            Assert.Contains(buildings, b => HouseholdEstimator.IsRemainder(b.Properties));
            output.WriteLine($"seed {seed}: {city.Compounds.Count} compounds, {city.Buildings.Count} buildings, {run.Imports} imports, " +
                             $"{buildings.Count(b => HouseholdEstimator.IsRemainder(b.Properties))} remainders at the end");
        }
        finally
        {
            await store.DisposeAsync();
            await cleanup();
        }
    }

    static async Task<(IFeatureStore Store, Func<Task> Cleanup)> OpenStoreAsync(string storeKind)
    {
        if (storeKind == "postgis")
        {
            var cs = await PostGisDatabase.CreateDatabaseAsync("gridmap_prop");
            return (await PostGisStore.OpenAsync(cs), () => PostGisDatabase.DropDatabaseAsync(cs));
        }
        var dir = Directory.CreateTempSubdirectory("gridmap-prop-").FullName;
        return ((await SqliteStore.OpenAsync(dir)).Store, () =>
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
            return Task.CompletedTask;
        });
    }

    /// <summary>Compounds and buildings each cut into random batches, in a random order; sometimes a compound batch and a building batch come in one import (as an OSM extract does).</summary>
    static IEnumerable<(string Description, IReadOnlyList<(Layer Layer, IReadOnlyList<FeatureDraft> Features)> Batches)> FirstImports(Random random, City city)
    {
        var batches = Cut(random, Layer.Compounds, city.Compounds.Values.ToList(), random.Next(1, 4))
            .Concat(Cut(random, Layer.Buildings, city.Buildings.Values.ToList(), random.Next(1, 5))).ToList();
        Shuffle(random, batches);
        for (var i = 0; i < batches.Count; i++)
        {
            if (i + 1 < batches.Count && batches[i].Layer != batches[i + 1].Layer && random.NextDouble() < 0.3)
            {
                yield return ($"{Describe(batches[i])} with {Describe(batches[i + 1])}", [batches[i], batches[i + 1]]);
                i++;
            }
            else yield return (Describe(batches[i]), [batches[i]]);
        }
    }

    static string Describe((Layer Layer, IReadOnlyList<FeatureDraft> Features) batch) =>
        $"{batch.Features.Count} {batch.Layer.Key()} ({string.Join(",", batch.Features.Take(6).Select(f => f.Id))}{(batch.Features.Count > 6 ? ",…" : "")})";

    static List<(Layer Layer, IReadOnlyList<FeatureDraft> Features)> Cut(Random random, Layer layer, List<FeatureDraft> features, int parts)
    {
        Shuffle(random, features);
        parts = Math.Min(parts, features.Count);
        var cuts = Enumerable.Range(1, features.Count - 1).OrderBy(_ => random.Next()).Take(parts - 1).Order().Prepend(0).Append(features.Count).ToList();
        return Enumerable.Range(0, parts).Select(i => (layer, (IReadOnlyList<FeatureDraft>)features[cuts[i]..cuts[i + 1]])).ToList();
    }

    static void Shuffle<T>(Random random, List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Imports as a user's file goes in, and checks the store after each import.</summary>
    sealed class Run(IFeatureStore store, City city, int seed, ITestOutputHelper output)
    {
        public int Imports { get; private set; }
        readonly List<string> _log = [];

        public async Task ImportAsync(string description, IReadOnlyList<(Layer Layer, IReadOnlyList<FeatureDraft> Features)> batches)
        {
            Imports++;
            _log.Add($"{Imports}. {description}");
            output.WriteLine($"{Imports}. {description}");
            var read = new List<LayerBatch>();
            foreach (var (layer, features) in batches)
            {
                // Through the file format: what a user's GeoJSON says, validated and normalised as the CLI and the API read it.
                using var file = new MemoryStream();
                GeoJsonFeatures.WriteCollection(file, features);
                var parsed = GeoJsonFeatures.Read(layer, file.ToArray());
                Assert.True(parsed.IsValid, $"seed {seed}: {string.Join("; ", parsed.Problems.Select(p => p.Message))}");
                read.Add(new LayerBatch(layer, parsed.Features));
            }
            var prepared = await LayerImport.PrepareAsync(store, read, ImportMode.Upsert, EstimationOptions.Default);
            await LayerImport.WriteAsync(store, prepared, ImportMode.Upsert, new ChangeInfo("property-test", ChangeKinds.Import, description));
            // Compounds this import gives a count (not an estimate exported with it).
            var counted = read.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features)
                .Where(f => f.Properties["households_estimated"]?.GetValue<bool>() != true && JsonNumber.ToLong(f.Properties["households"]) is not null)
                .ToDictionary(f => f.Id, f => JsonNumber.ToLong(f.Properties["households"])!.Value);
            await AssertOneTotalAsync(counted);
        }

        async Task AssertOneTotalAsync(IReadOnlyDictionary<string, long> counted)
        {
            var compounds = (await store.ListAsync(Layer.Compounds, new FeatureQuery(null, 100_000))).Features;
            var buildings = (await store.ListAsync(Layer.Buildings, new FeatureQuery(null, 100_000))).Features;
            var problems = new List<string>();
            var byId = compounds.ToDictionary(c => c.Id);

            foreach (var b in buildings)
            {
                var h = b.Integer("households");
                if (h is null) problems.Add($"building {b.Id} has no households");
                else if (h < 0) problems.Add($"building {b.Id} has {h} households");
                var remainder = HouseholdEstimator.IsRemainder(b.Properties);
                var of = b.Text("compound");
                if (remainder)
                {
                    if (of is null || !byId.ContainsKey(of)) problems.Add($"remainder {b.Id} of a compound not in the store ({of ?? "none"})");
                    else if (b.Id != HouseholdEstimator.RemainderId(of)) problems.Add($"remainder {b.Id} says it is of {of}");
                    if (h is 0) problems.Add($"remainder {b.Id} holds 0 households (should be gone)");
                    continue;
                }
                if (of is not null && !byId.ContainsKey(of)) problems.Add($"building {b.Id} names compound {of}, which is not in the store");
                // A building whose file named no compound stands in the compound whose land holds its centroid (the smallest).
                if (!city.NamesCompound(b.Id))
                {
                    var centroid = b.Geometry.Centroid;
                    var around = compounds.Where(c => c.Geometry.Covers(centroid)).OrderBy(c => c.Geometry.Area).FirstOrDefault();
                    if (around?.Id != of) problems.Add($"building {b.Id} ({h} households) stands in compound {around?.Id ?? "none"} but says compound {of ?? "none"}");
                }
            }

            foreach (var c in compounds)
            {
                var members = buildings.Where(b => b.Text("compound") == c.Id).ToList();
                var total = c.Integer("households");
                var sum = members.Sum(b => b.Integer("households") ?? 0);
                if (total is null) problems.Add($"compound {c.Id} has no households");
                else if (total != sum)
                    problems.Add($"compound {c.Id} ({c.Text("households_rule")}) holds {total} households, its buildings {sum}: " +
                                 string.Join(", ", members.Select(b => $"{b.Id}={b.Integer("households")}")));
                var mapped = members.Where(b => !HouseholdEstimator.IsRemainder(b.Properties)).ToList();
                // A count a file gives stands, unless its mapped buildings hold more; it is never lost later.
                var mappedSum = mapped.Sum(b => b.Integer("households") ?? 0);
                if (counted.TryGetValue(c.Id, out var fresh) && total != Math.Max(fresh, mappedSum))
                    problems.Add($"compound {c.Id} was just given {fresh} households and its mapped buildings hold {mappedSum}, but it holds {total}");
                if (city.GivenCount(c.Id) is { } given && total < given)
                    problems.Add($"compound {c.Id} was given {given} households but holds {total}");
                var remainder = members.FirstOrDefault(b => b.Id == HouseholdEstimator.RemainderId(c.Id));
                if (mapped.Count == 0 && total > 0 && remainder?.Integer("households") != total)
                    problems.Add($"compound {c.Id} has no mapped buildings and {total} households, its remainder {remainder?.Integer("households")?.ToString() ?? "missing"}");
                if (members.Count(b => HouseholdEstimator.IsRemainder(b.Properties)) > 1) problems.Add($"compound {c.Id} has more than one remainder");
            }

            if (problems.Count > 0)
                Assert.Fail($"seed {seed}, after import {Imports}: one total broken:\n  {string.Join("\n  ", problems)}\nimports:\n  {string.Join("\n  ", _log)}");
        }
    }

    /// <summary>
    /// A random city of 6–12 compounds (rectangles or L shapes, in cells of a 4 × 3 grid of 300 m, some counted) and 20–60
    /// buildings (inside compounds, straddling their edge, or outside any; some counted, some with levels, types and
    /// names), as the files a user imports: id, lon/lat geometry and the properties a file would carry.
    /// </summary>
    sealed class City
    {
        const double Lon0 = 106.80, Lat0 = 27.50, MetresPerDegreeLon = 98_700, MetresPerDegreeLat = 110_900;
        static readonly string?[] Types = [null, null, "yes", "yes", "apartments", "residential", "house", "commercial", "dormitory", "villa", "terrace", "school"];
        static readonly string?[] Names = [null, null, null, "3栋", "5号楼", "阳光酒店", "职工宿舍", "幸福花园", "社区服务中心", "锦绣别墅", "银行", "二单元"];
        static readonly string[] CompoundNames = ["阳光花园", "南坛小区", "幸福家园", "锦绣苑", "职工新村", "桂花公寓", "滨江府", "老城小区"];

        public Dictionary<string, FeatureDraft> Compounds { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, FeatureDraft> Buildings { get; } = new(StringComparer.Ordinal);
        /// <summary>Metric outlines (x east, y north, metres) of the compounds, by id.</summary>
        readonly Dictionary<string, Polygon> _compoundLand = new(StringComparer.Ordinal);
        readonly HashSet<string> _namesCompound = new(StringComparer.Ordinal);
        static readonly GeometryFactory Metric = new();

        /// <summary>The households the last file that brought this compound gave it (not an estimate exported with it).</summary>
        public long? GivenCount(string compoundId) =>
            Compounds[compoundId].Properties is var p && p["households_estimated"]?.GetValue<bool>() != true ? JsonNumber.ToLong(p["households"]) : null;

        /// <summary>Whether the last file that brought this building named its compound (an exported one does).</summary>
        public bool NamesCompound(string buildingId) => _namesCompound.Contains(buildingId);

        public static City Generate(Random random)
        {
            var city = new City();
            var cells = Enumerable.Range(0, 12).OrderBy(_ => random.Next()).Take(random.Next(6, 13)).Order().ToList();
            foreach (var cell in cells)
            {
                var (cx, cy) = (cell % 4 * 300.0, cell / 4 * 300.0);
                var (w, h) = (random.Next(120, 260), random.Next(120, 260));
                var (x, y) = (cx + 20 + random.NextDouble() * (260 - w), cy + 20 + random.NextDouble() * (260 - h));
                Polygon land = random.NextDouble() < 0.3 ? LShape(random, x, y, w, h) : Rect(x, y, w, h);
                var id = $"c{city.Compounds.Count + 1}";
                var props = new JsonObject { ["name"] = CompoundNames[random.Next(CompoundNames.Length)] + id };
                if (random.NextDouble() < 0.7) props["class"] = CompoundClasses.All[random.Next(CompoundClasses.All.Count)].Key;
                if (random.NextDouble() < 0.4) props["households"] = random.Next(0, 1500);
                city._compoundLand[id] = land;
                city.Compounds[id] = new FeatureDraft(id, ToLonLat(land), props);
            }
            var n = random.Next(20, 61);
            for (var i = 1; i <= n; i++)
            {
                var id = $"b{i}";
                city.Buildings[id] = new FeatureDraft(id, ToLonLat(city.Place(random, Footprint(random))), BuildingProps(random));
            }
            return city;
        }

        /// <summary>A footprint at the origin: a slab, a point tower, a small house or a large low block.</summary>
        static (double W, double H) Footprint(Random random) => random.Next(4) switch
        {
            0 => (random.Next(30, 70), random.Next(10, 16)),
            1 => (random.Next(18, 35), random.Next(18, 35)),
            2 => (random.Next(8, 15), random.Next(8, 15)),
            _ => (random.Next(40, 90), random.Next(30, 70)),
        };

        static JsonObject BuildingProps(Random random)
        {
            var props = new JsonObject();
            if (random.NextDouble() < 0.35) props["households"] = random.NextDouble() < 0.1 ? random.Next(301, 700) : random.Next(0, 150);
            if (random.NextDouble() < 0.45) props["levels"] = random.Next(1, 34);
            if (Types[random.Next(Types.Length)] is { } type) props["building"] = type;
            if (Names[random.Next(Names.Length)] is { } name) props["name"] = name;
            return props;
        }

        /// <summary>
        /// A footprint placed without overlapping other buildings: inside a random compound (60 %), across a compound's
        /// edge (10 %), or on land outside every compound.
        /// </summary>
        Polygon Place(Random random, (double W, double H) size, string? except = null)
        {
            var others = Buildings.Where(b => b.Key != except).Select(b => ToMetric(b.Value.Geometry)).ToList();
            for (var attempt = 0; ; attempt++)
            {
                var roll = random.NextDouble();
                Polygon candidate;
                if (roll < 0.6 && _compoundLand.Count > 0)
                {
                    var land = _compoundLand.Values.ElementAt(random.Next(_compoundLand.Count));
                    var e = land.EnvelopeInternal;
                    candidate = Rect(e.MinX + random.NextDouble() * Math.Max(1, e.Width - size.W), e.MinY + random.NextDouble() * Math.Max(1, e.Height - size.H), size.W, size.H);
                    if (!land.Contains(candidate) && attempt < 200) continue;
                }
                else if (roll < 0.7 && _compoundLand.Count > 0)
                {
                    var edge = _compoundLand.Values.ElementAt(random.Next(_compoundLand.Count)).ExteriorRing.Coordinates;
                    var k = random.Next(edge.Length - 1);
                    var t = random.NextDouble();
                    var (px, py) = (edge[k].X + t * (edge[k + 1].X - edge[k].X), edge[k].Y + t * (edge[k + 1].Y - edge[k].Y));
                    candidate = Rect(px - size.W / 2 + random.Next(-5, 6), py - size.H / 2 + random.Next(-5, 6), size.W, size.H);
                }
                else
                {
                    candidate = Rect(random.NextDouble() * 1200 - 50, random.NextDouble() * 900 - 50, size.W, size.H);
                    if (_compoundLand.Values.Any(c => c.Intersects(candidate)) && attempt < 200) continue;
                }
                if (attempt < 400 && others.Any(o => o.Distance(candidate) < 2)) continue;
                return candidate;
            }
        }

        /// <summary>
        /// A re-import of part of the city, changed: counts given, changed or dropped, levels and types changed, buildings
        /// moved (into another compound, across an edge, out of every compound); or an export of what the store holds
        /// (derived properties and remainders included), some of it edited, imported back.
        /// </summary>
        public async Task<(string Description, IReadOnlyList<(Layer Layer, IReadOnlyList<FeatureDraft> Features)> Batches)> ReimportAsync(
            Random random, IFeatureStore store, int round)
        {
            var notes = new List<string>();
            var batches = new List<(Layer, IReadOnlyList<FeatureDraft>)>();
            if (random.NextDouble() < 0.25)
            {
                // Export a layer (or a box of it), edit a few features in the file, import it back.
                var layer = random.NextDouble() < 0.7 ? Layer.Buildings : Layer.Compounds;
                var stored = (await store.ListAsync(layer, new FeatureQuery(null, 100_000))).Features;
                var picked = stored.Where(_ => random.NextDouble() < 0.6).Select(f => new FeatureDraft(f.Id, f.Geometry, (JsonObject)f.Properties.DeepClone())).ToList();
                if (picked.Count == 0) picked = stored.Take(1).Select(f => new FeatureDraft(f.Id, f.Geometry, (JsonObject)f.Properties.DeepClone())).ToList();
                for (var i = 0; i < picked.Count; i++)
                {
                    if (HouseholdEstimator.IsRemainder(picked[i].Properties) || random.NextDouble() > 0.2) continue;
                    picked[i].Properties["households"] = random.Next(0, 400);
                    notes.Add($"{picked[i].Id} edited to {picked[i].Properties["households"]}");
                }
                foreach (var f in picked.Where(f => !HouseholdEstimator.IsRemainder(f.Properties)))
                {
                    if (layer == Layer.Buildings)
                    {
                        Buildings[f.Id] = f;
                        if (f.Properties["compound"] is not null) _namesCompound.Add(f.Id); else _namesCompound.Remove(f.Id);
                    }
                    else Compounds[f.Id] = f;
                }
                batches.Add((layer, picked));
                return ($"round {round}: exported {picked.Count} {layer.Key()} imported back{(notes.Count > 0 ? ": " + string.Join("; ", notes) : "")}", batches);
            }

            if (random.NextDouble() < 0.25)
            {
                // One building moved on its own, often far: its old compound lies outside what the import reads around it.
                var id = Buildings.Keys.ElementAt(random.Next(Buildings.Count));
                var was = Buildings[id];
                var e = ToMetric(was.Geometry).EnvelopeInternal;
                var moved = new FeatureDraft(id, ToLonLat(Place(random, (e.Width, e.Height), except: id)), UserProps(was.Properties));
                _namesCompound.Remove(id);
                batches.Add((Layer.Buildings, [Buildings[id] = moved]));
                return ($"round {round}: {id} moved on its own", batches);
            }

            var compounds = new List<FeatureDraft>();
            if (random.NextDouble() < 0.5)
                foreach (var id in Compounds.Keys.Where(_ => random.NextDouble() < 0.3).ToList())
                {
                    var props = (JsonObject)Compounds[id].Properties.DeepClone();
                    if (props["households_estimated"]?.GetValue<bool>() == true) props.Remove("households");
                    props.Remove("households_estimated");
                    props.Remove("households_rule");
                    switch (random.Next(4))
                    {
                        case 0: props["households"] = random.Next(0, 1500); notes.Add($"{id} counted {props["households"]}"); break;
                        case 1: props.Remove("households"); notes.Add($"{id} count dropped"); break;
                        case 2: props["class"] = CompoundClasses.All[random.Next(CompoundClasses.All.Count)].Key; notes.Add($"{id} class {props["class"]}"); break;
                        default: notes.Add($"{id} again"); break;
                    }
                    compounds.Add(Compounds[id] = new FeatureDraft(id, Compounds[id].Geometry, props));
                }
            var buildings = new List<FeatureDraft>();
            foreach (var id in Buildings.Keys.Where(_ => random.NextDouble() < 0.25).ToList())
            {
                var was = Buildings[id];
                var props = UserProps(was.Properties);
                _namesCompound.Remove(id);
                var geometry = was.Geometry;
                switch (random.Next(6))
                {
                    case 0: props["households"] = random.Next(0, 400); notes.Add($"{id} counted {props["households"]}"); break;
                    case 1: props.Remove("households"); notes.Add($"{id} count dropped"); break;
                    case 2: props["levels"] = random.Next(1, 34); props["building"] = Types[random.Next(Types.Length)] ?? "yes"; notes.Add($"{id} levels {props["levels"]} {props["building"]}"); break;
                    case 3 or 4:
                        var e = ToMetric(was.Geometry).EnvelopeInternal;
                        geometry = ToLonLat(Place(random, (e.Width, e.Height), except: id));
                        notes.Add($"{id} moved");
                        break;
                    default: notes.Add($"{id} again"); break;
                }
                buildings.Add(Buildings[id] = new FeatureDraft(id, geometry, props));
            }
            if (compounds.Count > 0) batches.Add((Layer.Compounds, compounds));
            if (buildings.Count > 0) batches.Add((Layer.Buildings, buildings));
            if (batches.Count == 0)
            {
                var id = Buildings.Keys.ElementAt(random.Next(Buildings.Count));
                batches.Add((Layer.Buildings, [Buildings[id]]));
                notes.Add($"{id} again");
            }
            if (batches.Count == 2 && random.NextDouble() < 0.5) batches.Reverse();
            return ($"round {round}: {string.Join("; ", notes)}", batches);
        }

        /// <summary>A building's properties as a file of the user's own has them: no compound, nothing derived, no estimate.</summary>
        static JsonObject UserProps(JsonObject properties)
        {
            var props = (JsonObject)properties.DeepClone();
            foreach (var derived in (string[])["compound", "households_estimated", "households_rule", "units", "units_synthesised", "grid_code", "grid_codes"])
                props.Remove(derived);
            if (properties["households_estimated"]?.GetValue<bool>() == true) props.Remove("households");
            return props;
        }

        static Polygon Rect(double x, double y, double w, double h) =>
            Metric.CreatePolygon([new(x, y), new(x + w, y), new(x + w, y + h), new(x, y + h), new(x, y)]);

        /// <summary>A rectangle with one corner cut away.</summary>
        static Polygon LShape(Random random, double x, double y, double w, double h)
        {
            var (cw, ch) = (w * (0.3 + 0.3 * random.NextDouble()), h * (0.3 + 0.3 * random.NextDouble()));
            return Metric.CreatePolygon([new(x, y), new(x + w, y), new(x + w, y + h - ch), new(x + w - cw, y + h - ch), new(x + w - cw, y + h), new(x, y + h), new(x, y)]);
        }

        static Geometry ToLonLat(Geometry metric)
        {
            var g = metric.Copy();
            g.Apply(new Transform(c => (Lon0 + c.X / MetresPerDegreeLon, Lat0 + c.Y / MetresPerDegreeLat)));
            return GeometryRules.Factory.CreateGeometry(g);
        }

        static Geometry ToMetric(Geometry lonLat)
        {
            var g = Metric.CreateGeometry(lonLat);
            g.Apply(new Transform(c => ((c.X - Lon0) * MetresPerDegreeLon, (c.Y - Lat0) * MetresPerDegreeLat)));
            return g;
        }

        sealed class Transform(Func<Coordinate, (double X, double Y)> map) : ICoordinateSequenceFilter
        {
            public bool Done => false;
            public bool GeometryChanged => true;

            public void Filter(CoordinateSequence seq, int i)
            {
                var (x, y) = map(seq.GetCoordinate(i));
                seq.SetX(i, Math.Round(x, 7));
                seq.SetY(i, Math.Round(y, 7));
            }
        }
    }
}
