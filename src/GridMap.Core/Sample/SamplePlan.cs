using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>What fills a block: zoning goes old town → high-rise ring → self-built fringe, with public blocks between.</summary>
internal enum BlockKind { OldMix, HighRise, SelfBuilt, Public }

/// <summary>A road along a block boundary line of the lattice (or the river, which has no road).</summary>
internal sealed class RoadLine(bool vertical, int boundary, int line)
{
    public bool Vertical { get; } = vertical;
    /// <summary>Index among the block boundaries of its direction.</summary>
    public int Boundary { get; } = boundary;
    /// <summary>Fine lattice index of the line.</summary>
    public int Line { get; } = line;
    public string Highway { get; set; } = "residential";
    public string? Name { get; set; }
    public bool IsRiver { get; set; }
    public bool IsTrunk => Highway == "trunk";
    /// <summary>Walkable road a compound may face: not the river, not the trunk road.</summary>
    public bool Fronts => !IsRiver && !IsTrunk;
    public int Rank => Highway switch { "primary" => 3, "secondary" => 2, "residential" => 1, _ => 0 };
    /// <summary>Next free door number (门牌号) along the road.</summary>
    public int NextNumber { get; set; } = 1;
}

internal sealed class PlannedBlock(int index, int bx, int by, int i0, int j0, int i1, int j1)
{
    public int Index { get; } = index;
    public int Bx { get; } = bx;
    public int By { get; } = by;
    /// <summary>Cell rectangle [I0, I1) × [J0, J1).</summary>
    public int I0 { get; } = i0;
    public int J0 { get; } = j0;
    public int I1 { get; } = i1;
    public int J1 { get; } = j1;
    public BlockKind Kind { get; set; }
    public List<PlannedCompound> Compounds { get; } = [];
    public PlannedArea? Community { get; set; }
    public int Households => Compounds.Sum(c => c.Households);
    public int CellCount => (I1 - I0) * (J1 - J0);
}

internal sealed class PlannedCompound(PlannedBlock block, string compoundClass, int i0, int j0, int i1, int j1)
{
    public PlannedBlock Block { get; } = block;
    public string Class { get; } = compoundClass;
    public int I0 { get; } = i0;
    public int J0 { get; } = j0;
    public int I1 { get; } = i1;
    public int J1 { get; } = j1;
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public bool PropertyManagement { get; set; }
    public List<PlannedBuilding> Buildings { get; } = [];
    public int Households => Buildings.Sum(b => b.Households);
    public RoadLine? FrontRoad { get; set; }
    public int DoorNumber { get; set; }
    /// <summary>Gated compounds have walls and one or two gates; self-built and fringe areas are open.</summary>
    public bool Walled => Class is not (CompoundClasses.SelfBuilt or CompoundClasses.UrbanRuralFringe);
    public int CellCount => (I1 - I0) * (J1 - J0);
}

internal sealed class PlannedBuilding(PlannedCompound compound, int cell, Polygon footprint, string type, int levels, int[] units, int households)
{
    /// <summary>Lowest and highest storeys a building of its kind may have (used when balancing grids).</summary>
    public (int Min, int Max) LevelRange { get; init; } = (levels, levels);
    public PlannedCompound Compound { get; } = compound;
    public int Cell { get; } = cell;
    /// <summary>Footprint in local metres.</summary>
    public Polygon Footprint { get; } = footprint;
    public string Type { get; } = type;
    public int Levels { get; set; } = levels;
    /// <summary>Households per stairwell (单元); empty for houses.</summary>
    public int[] Units { get; } = units;
    public int Households { get; set; } = households;
    public string Id { get; set; } = "";
    public string Address { get; set; } = "";
    public string GridCode { get; set; } = "";
}

/// <summary>A street or community: a rectangle of blocks.</summary>
internal sealed class PlannedArea(int bx0, int by0, int bx1, int by1)
{
    public int Bx0 { get; } = bx0;
    public int By0 { get; } = by0;
    public int Bx1 { get; } = bx1;
    public int By1 { get; } = by1;
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public PlannedArea? Parent { get; set; }
    public List<PlannedArea> Children { get; } = [];
    public List<PlannedBlock> Blocks { get; } = [];
    public List<PlannedGrid> Grids { get; } = [];
}

internal sealed class PlannedGrid(PlannedArea community, IReadOnlyList<int> cells, IReadOnlyList<PlannedBuilding> buildings)
{
    public PlannedArea Community { get; } = community;
    public IReadOnlyList<int> Cells { get; } = cells;
    public IReadOnlyList<PlannedBuilding> Buildings { get; } = buildings;
    public int Households => Buildings.Sum(b => b.Households);
    public Geometry Geometry { get; set; } = Polygon.Empty;
    public int Sequence { get; set; }
    public string Code { get; set; } = "";
}

internal sealed record PlannedStation(string Kind, string Name, string OpeningHours, int? Capacity, PlannedArea Community, Coordinate Location);

/// <summary>Everything planned so far, shared by the planners in generation order.</summary>
internal sealed class SamplePlan(Random random, StreetGridLayout layout, SampleNames names)
{
    public Random Random { get; } = random;
    public StreetGridLayout Layout { get; } = layout;
    public SampleNames Names { get; } = names;
    public RoadLine[] Columns { get; set; } = [];
    public RoadLine[] Rows { get; set; } = [];
    public List<PlannedBlock> Blocks { get; } = [];
    public List<PlannedCompound> Compounds { get; } = [];
    public List<PlannedBuilding> Buildings { get; } = [];
    public List<PlannedArea> Streets { get; } = [];
    public List<PlannedArea> Communities { get; } = [];
    public List<PlannedStation> Stations { get; } = [];

    /// <summary>Per cell: its block, its compound (or null), its buildings.</summary>
    public PlannedBlock[] CellBlock { get; set; } = [];
    public PlannedCompound?[] CellCompound { get; set; } = [];
    public List<PlannedBuilding>?[] CellBuildings { get; set; } = [];

    public PlannedBlock BlockAt(int bx, int by) => Blocks[by * Layout.BlocksX + bx];
}
