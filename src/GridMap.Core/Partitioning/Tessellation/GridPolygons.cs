using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Partitioning;

/// <summary>Grid polygons from territories: the faces of each grid's atoms, dissolved by edge cancellation.</summary>
public static class GridPolygons
{
    /// <summary>
    /// One Polygon or MultiPolygon per group (an empty Polygon for a group without land): the union of the faces of the
    /// atoms with <c>groupOfAtom[atom] == group</c>. Faces share exact edges, so the union keeps the edges that have the
    /// group on one side only — no overlay, no slivers; grids tile exactly what the faces tile. Atoms outside
    /// <paramref name="groupOfAtom"/> or with a group outside 0…groupCount-1 are left out.
    /// </summary>
    public static Geometry[] Dissolve(Tessellation t, int[] groupOfAtom, int groupCount)
    {
        var factory = t.Faces.Count > 0 ? t.Faces[0].Polygon.Factory : NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory();
        var faceGroup = new int[t.Faces.Count];
        for (var f = 0; f < faceGroup.Length; f++)
        {
            var a = t.Faces[f].Atom;
            faceGroup[f] = a >= 0 && a < groupOfAtom.Length ? groupOfAtom[a] : -1;
        }
        var graph = t.Graph ?? TessellationGraph.FromFaces(t.Faces.Select(f => f.Polygon).ToList());
        if (graph is not null) return graph.Dissolve(faceGroup, groupCount, factory);

        // Faces that are not a clean tiling (built elsewhere): overlay union per group.
        var members = new List<Geometry>?[groupCount];
        for (var f = 0; f < faceGroup.Length; f++)
            if (faceGroup[f] >= 0 && faceGroup[f] < groupCount) (members[faceGroup[f]] ??= []).Add(t.Faces[f].Polygon);
        var result = new Geometry[groupCount];
        for (var g = 0; g < groupCount; g++)
            result[g] = members[g] is { } list ? UnaryUnionOp.Union(list) : factory.CreatePolygon();
        return result;
    }
}
