using System.Text;
using GridMap.Core.Model;

namespace GridMap.Core.Schema;

/// <summary>Renders docs/schema.md from the layer schemas, so the documentation cannot drift from what the store accepts.</summary>
public static class SchemaDocument
{
    public static string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# GridMap layers and their properties");
        sb.AppendLine();
        sb.AppendLine("<!-- Generated from src/GridMap.Core/Schema/LayerSchema.cs by `GRIDMAP_UPDATE_DOCS=1 dotnet test tests/GridMap.Core.Tests --filter SchemaDocument`; do not edit by hand. -->");
        sb.AppendLine();
        sb.AppendLine("Every layer is read and written as RFC 7946 GeoJSON: a `FeatureCollection` of `Feature`s in lon/lat (WGS84 = CGCS2000 for GridMap's purposes), no `crs` member, counter-clockwise outer rings, coordinates rounded to 7 decimals (≈ 1 cm). ");
        sb.AppendLine("The same files go in and out of `gridmap import geojson --layer LAYER FILE`, `gridmap export --layer LAYER FILE`, `POST /api/layers/{layer}/import` and the `partition` / `coverage` verbs.");
        sb.AppendLine();
        sb.AppendLine("- The feature `id` is the stored id (a string; numbers are read as their text). Districts, streets, communities and grids are identified by their `code`: their id is the code. A feature without an id gets a generated one.");
        sb.AppendLine("- Properties not listed here are kept as they are (for the network: any OSM tag).");
        sb.AppendLine("- Responses of the HTTP API add a top-level `version` to each feature (also in the `ETag` header); send it back in `If-Match` when replacing or deleting (`428` without it, `412` when someone changed the feature since). A layer import names the layer version the same way (`GET /api/layers/{layer}`).");
        sb.AppendLine("- Whole numbers (`households`, `levels`, `capacity`) must be JSON numbers without a fraction and not negative.");
        sb.AppendLine("- Invalid polygons (self-intersections) are repaired with NetTopologySuite's `GeometryFixer` and the repair is reported in the response (`repairs`); a geometry that cannot be repaired into a polygon is rejected.");
        sb.AppendLine();
        foreach (var schema in LayerSchema.All)
        {
            sb.AppendLine($"## `{schema.Layer.Key()}` — {schema.Layer.Label()}");
            sb.AppendLine();
            sb.AppendLine($"Geometry: {string.Join(" or ", schema.GeometryTypes.Select(g => $"`{g}`"))}.{(schema.OpenTags ? " Other OSM tags are kept as string properties." : "")}");
            sb.AppendLine();
            sb.AppendLine("| property | type | required | meaning |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var p in schema.Properties)
                sb.AppendLine($"| `{p.Name}` | {TypeName(p.Type)} | {(p.Required ? "yes" : "")} | {p.Description}{Allowed(p)} |");
            sb.AppendLine();
        }
        sb.AppendLine("## Allowed values");
        sb.AppendLine();
        sb.AppendLine("### Compound classes (`compounds.class`)");
        sb.AppendLine();
        sb.AppendLine("| key | label |");
        sb.AppendLine("|---|---|");
        foreach (var k in CompoundClasses.All) sb.AppendLine($"| `{k.Key}` | {k.Label} |");
        sb.AppendLine();
        sb.AppendLine("### Station kinds (`stations.kind`)");
        sb.AppendLine();
        sb.AppendLine("| key | label | GB 50180-2018 walking distance |");
        sb.AppendLine("|---|---|---|");
        foreach (var k in StationKinds.All) sb.AppendLine($"| `{k.Key}` | {k.Label} | {(k.PresetMeters is { } m ? $"{m:0} m" : "—")} |");
        sb.AppendLine();
        sb.AppendLine("From OpenStreetMap (`gridmap import osm`, `GridMap.IO.Osm.OsmStationKinds`, as ../shared/docs/domain.md says), with the name read as `name:zh`, then `name`, then `name:zh-Hans`: any `amenity` named 社区卫生服务站 → `health_station`, 社区卫生服务中心 → `clinic` (hospital included); `amenity=community_centre` → `party_service_centre` when the name has 党群, else `community_service_station`; `amenity=social_facility` + `social_facility:for=senior` → `day_care`; `amenity=clinic|doctors` → `clinic`; `amenity=hospital` → `hospital`; `amenity=school|kindergarten|childcare|college` → `other` when the name has 党校, 培训, 进修 or 成人, else by the name where it says so (幼儿园 → `kindergarten`, 小学 → `primary_school`, 中学/初中 → `middle_school`, with short forms such as 附小 and 成都十八中), else by `isced:level`, else `kindergarten` for `kindergarten|childcare` and `school` for `school|college`; `amenity=marketplace` or `shop=supermarket|greengrocer` → `market` (`shop=kiosk|convenience` is no station).");
        sb.AppendLine();
        sb.AppendLine("### Walkability of `network` lines");
        sb.AppendLine();
        sb.AppendLine("One rule, in `GridMap.Core.Model.Walkability`, used by every feature: a line is walkable unless `foot=no` or `access=no|private` (a more specific `foot=yes|designated|permissive` overrides `access`, as in OSM); `motorway`, `motorway_link`, `trunk` and `trunk_link` only with `foot=yes|designated|permissive` or a `sidewalk*` tag other than `no|none|separate`; lines without `highway`, or with `highway=proposed|construction|abandoned|…`, are not walkable. Lines connect only where they share a vertex, never where they merely cross (bridges, tunnels).");
        sb.AppendLine();
        sb.Append(History);
        return sb.ToString().Replace("\r\n", "\n");
    }

    /// <summary>The tables beside the layers (docs/history.md), the same in both stores.</summary>
    const string History = """
        ## History tables

        Beside the layer tables each store keeps an append-only history (docs/history.md); the same columns in SQLite and PostGIS.

        | table | column | meaning |
        |---|---|---|
        | `changes` | `id` | change set id, rising (one per write transaction) |
        | | `author` | account name, `anonymous`, `cli` or `system` |
        | | `kind` | `create`, `replace`, `delete`, `import`, `recoding`, `assign`, `rebalance`, `partition_accept`, `restore`, `revert`, `settings`, `seed` |
        | | `summary` | what was written, in a few words (may be null) |
        | | `at` | when (UTC) |
        | | `reverts` / `reverted_by` | the change set a revert undid / the revert that undid this one |
        | `history` | `change_id`, `layer`, `feature_id` | one row per feature a change set changed (the key) |
        | | `version_before` | its version before (0: the change created it) |
        | | `version_after` | its version after (0: the change deleted it) |
        | | `geom`, `props` | its old value (WKB and JSON in SQLite, geometry and jsonb in PostGIS; null when created) |
        | `layer_versions` | `layer`, `version` | raised once by every transaction that changes the layer (and by a band change for grids) |

        """;

    static string TypeName(PropertyType t) => t switch
    {
        PropertyType.Text => "string",
        PropertyType.Integer => "integer ≥ 0",
        PropertyType.Number => "number",
        PropertyType.Boolean => "boolean",
        PropertyType.Key => "key",
        PropertyType.People => "array of {name, phone}",
        PropertyType.Units => "array of {id, households}",
        PropertyType.TextList => "array of strings",
        PropertyType.Positions => "array of [lon, lat]",
        _ => t.ToString(),
    };

    static string Allowed(PropertySpec p) =>
        p.Allowed is { Count: <= 4 } few ? $": {string.Join(", ", few.Select(a => $"`{a}`"))}" : p.Allowed is null ? "" : " (see below)";
}
