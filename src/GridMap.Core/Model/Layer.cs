namespace GridMap.Core.Model;

/// <summary>
/// The layers of the store: the five-level net plus stations, the walking network, and the non-residential land that
/// gets dedicated grids (专属网格).
/// </summary>
public enum Layer
{
    Districts,
    Streets,
    Communities,
    Compounds,
    Buildings,
    Grids,
    Stations,
    Network,
    SpecialAreas,
}

public static class Layers
{
    public static readonly IReadOnlyList<Layer> All = Enum.GetValues<Layer>();

    /// <summary>The name used in URLs, CLI flags, files and table names.</summary>
    public static string Key(this Layer layer) => layer == Layer.SpecialAreas ? "special_areas" : layer.ToString().ToLowerInvariant();

    /// <summary>The layers the first schema version created (its migration must never change).</summary>
    public static readonly IReadOnlyList<Layer> First =
        [Layer.Districts, Layer.Streets, Layer.Communities, Layer.Compounds, Layer.Buildings, Layer.Grids, Layer.Stations, Layer.Network];

    public static bool TryParse(string? name, out Layer layer)
    {
        foreach (var l in All)
        {
            if (string.Equals(l.Key(), name, StringComparison.OrdinalIgnoreCase))
            {
                layer = l;
                return true;
            }
        }
        layer = default;
        return false;
    }

    public static string Label(this Layer layer) => layer switch
    {
        Layer.Districts => "区/县",
        Layer.Streets => "街道",
        Layer.Communities => "社区",
        Layer.Compounds => "小区",
        Layer.Buildings => "楼栋",
        Layer.Grids => "网格",
        Layer.Stations => "服务站点",
        Layer.Network => "步行网络",
        Layer.SpecialAreas => "专属区域",
        _ => layer.Key(),
    };

    /// <summary>Layers whose polygons nest: used by point lookup, finest last.</summary>
    public static bool IsArea(this Layer layer) =>
        layer is Layer.Districts or Layer.Streets or Layer.Communities;
}
