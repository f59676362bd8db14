using GridMap.Core.Model;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Estimation;

/// <summary>A point of interest (an OSM node with tags), in lon/lat.</summary>
public sealed record PointOfInterest(Point At, IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// What an estimate may look at beyond the features of the import itself: the OSM tags of its buildings, points of
/// interest, non-residential land (campuses, hospitals, business land), and the compounds and buildings already in the
/// store (so that buildings imported on their own are estimated within their compounds, and those compounds recounted).
/// </summary>
public sealed record EstimationContext
{
    public static EstimationContext Empty { get; } = new();

    /// <summary>The other OSM tags of buildings of the import, by building id (<c>shop</c>, <c>amenity</c>, <c>tourism</c>…).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> BuildingTags { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    public IReadOnlyList<PointOfInterest> Pois { get; init; } = [];

    /// <summary>Polygons of non-residential land (lon/lat): an untyped building there is not housing.</summary>
    public IReadOnlyList<Geometry> NonResidentialLand { get; init; } = [];

    /// <summary>Compounds in the store that the import does not replace.</summary>
    public IReadOnlyList<FeatureDraft> StoredCompounds { get; init; } = [];

    /// <summary>Buildings in the store that the import does not replace (compound remainders included).</summary>
    public IReadOnlyList<FeatureDraft> StoredBuildings { get; init; } = [];

    /// <summary>
    /// Stored compounds to recount although the import brings no building into them: one that a deleted or moved
    /// building has left.
    /// </summary>
    public IReadOnlySet<string> RecountCompounds { get; init; } = new HashSet<string>();
}

/// <summary>
/// The import with households filled, and the compound remainder units that no longer hold anyone (to delete: their
/// compound's buildings now account for all its households).
/// </summary>
public sealed record EstimatedImport(IReadOnlyList<LayerBatch> Batches, IReadOnlyList<string> RemovedRemainders);
