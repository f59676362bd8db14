using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// One point of an atom that competes for land (projected metres). Several sites may share an atom (co-located
/// buildings, a compound kept whole with several buildings); territory belongs to the atom.
/// <paramref name="Footprint"/>, when given, is land that always belongs to the atom.
/// <paramref name="Region"/> is the index of the atom's compound in <see cref="TessellationInput.Regions"/>, or -1 for open land.
/// </summary>
public sealed record Site(int Atom, Coordinate Point, Polygon? Footprint, int Region);

/// <summary>
/// What <see cref="TerritoryTessellation.Build"/> divides (all in projected metres).
/// <paramref name="Area"/>: the community (Polygon or MultiPolygon).
/// <paramref name="Regions"/>: compound outlines (may overlap slightly or stick out of the area; an overlap goes to the smaller compound).
/// <paramref name="Barriers"/>: roads, rivers, walls (may be partial, dangling, or cross the area boundary).
/// <paramref name="FixedTerritories"/>: atoms whose land is given; they own exactly that land (and compete for no other).
/// <paramref name="AtomCount"/>: length of <see cref="Tessellation.TerritoryOf"/>; at least 1 + the largest atom index given.
/// </summary>
public sealed record TessellationInput(
    Geometry Area,
    IReadOnlyList<Site> Sites,
    IReadOnlyList<Geometry> Regions,
    IReadOnlyList<LineString> Barriers,
    IReadOnlyList<(int Atom, Polygon Piece)>? FixedTerritories = null,
    int AtomCount = -1);

/// <summary>
/// One face of the noded arrangement inside the area, owned by <paramref name="Atom"/> (-1 only when no atom exists at all).
/// <paramref name="Region"/> is the compound it lies in (-1 open land), <paramref name="Block"/> the block (land between
/// area boundary, compound outlines, barriers and fixed pieces) it belongs to.
/// </summary>
public sealed record TessellationFace(int Atom, Polygon Polygon, int Region, int Block);

/// <summary>
/// Territories of atoms tiling an area. <see cref="TerritoryOf"/>: per atom a Polygon or MultiPolygon (empty when it got no land).
/// <see cref="Adjacent"/>: atom pairs (A &lt; B) whose territories share boundary of positive length, with the part of it that
/// lies on a barrier line or a compound outline. <see cref="Faces"/>: the pieces the territories are made of; faces share
/// exact vertices, so unions of them (<see cref="GridPolygons.Dissolve"/>) are sliver-free.
/// </summary>
public sealed record Tessellation(
    IReadOnlyList<Geometry> TerritoryOf,
    IReadOnlyList<(int A, int B, double SharedLength, double BarrierLength)> Adjacent,
    IReadOnlyList<TessellationFace> Faces)
{
    /// <summary>The edge structure of <see cref="Faces"/> when built by <see cref="TerritoryTessellation"/> (null otherwise: it is rebuilt from the faces).</summary>
    internal TessellationGraph? Graph { get; init; }
}
