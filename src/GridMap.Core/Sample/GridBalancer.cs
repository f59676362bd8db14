namespace GridMap.Core.Sample;

/// <summary>
/// The sample should open on a well-kept grid net, so after grouping, a grid a little outside 200–300 households
/// has some of its buildings given a storey more or less (within the storeys their kind allows), or a self-built
/// house one household more or less. Building, grid and compound totals are all sums, so they stay consistent.
/// </summary>
internal static class GridBalancer
{
    public static void Balance(PlannedGrid grid)
    {
        for (var pass = 0; pass < 3; pass++)
        {
            foreach (var building in grid.Buildings)
            {
                var households = grid.Households;
                if (households < GridAssembler.MinHouseholds) Step(building, +1, GridAssembler.MaxHouseholds - households);
                else if (households > GridAssembler.MaxHouseholds) Step(building, -1, households - GridAssembler.MinHouseholds);
                else return;
            }
        }
    }

    /// <summary>One storey up or down (or one household for a house), unless that would overshoot by <paramref name="room"/>.</summary>
    static void Step(PlannedBuilding b, int direction, int room)
    {
        if (b.Units.Length == 0)
        {
            var next = b.Households + direction;
            if (next is >= 1 and <= 4 && room >= 1) b.Households = next;
            return;
        }
        var levels = b.Levels + direction;
        if (levels < b.LevelRange.Min || levels > b.LevelRange.Max) return;
        var perFloor = b.Units.Select(u => u / b.Levels).ToArray();
        if (perFloor.Sum() > room) return;
        for (var k = 0; k < b.Units.Length; k++) b.Units[k] = levels * perFloor[k];
        b.Levels = levels;
        b.Households = b.Units.Sum();
    }
}
