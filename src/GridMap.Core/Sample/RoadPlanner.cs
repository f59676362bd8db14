namespace GridMap.Core.Sample;

/// <summary>
/// Classes and names the roads on the block boundary lines: a primary avenue through the centre each way
/// (and every 8th line further out), secondary roads every 3rd line, residential streets between;
/// one trunk road (国道, no sidewalk, not walkable) and one river line where no road runs.
/// </summary>
internal static class RoadPlanner
{
    public const string RiverName = "南白河";

    public static void Plan(SamplePlan plan)
    {
        var layout = plan.Layout;
        plan.Columns = Lines(plan, vertical: true, layout.BlocksX, layout.ColumnLines);
        plan.Rows = Lines(plan, vertical: false, layout.BlocksY, layout.RowLines);

        // The river crosses the north third west–east; the trunk road runs north–south east of the centre.
        if (layout.BlocksY >= 3)
        {
            var river = Interior(layout.BlocksY, (int)Math.Round(layout.BlocksY * 2.0 / 3), plan.Rows);
            plan.Rows[river].IsRiver = true;
            plan.Rows[river].Highway = "none";
            plan.Rows[river].Name = RiverName;
        }
        if (layout.BlocksX >= 3)
        {
            var trunk = Interior(layout.BlocksX, (int)Math.Round(layout.BlocksX * 0.8), plan.Columns);
            plan.Columns[trunk].Highway = "trunk";
            plan.Columns[trunk].Name = "国道210";
        }
    }

    /// <summary>An interior boundary near <paramref name="wanted"/> that is not a primary avenue.</summary>
    static int Interior(int blocks, int wanted, RoadLine[] lines)
    {
        var candidates = Enumerable.Range(1, blocks - 1)
            .OrderBy(b => Math.Abs(b - wanted)).ThenBy(b => b);
        foreach (var b in candidates)
            if (lines[b].Highway != "primary") return b;
        return Math.Clamp(wanted, 1, blocks - 1);
    }

    static RoadLine[] Lines(SamplePlan plan, bool vertical, int blocks, int[] fine)
    {
        var centre = blocks / 2;
        var lines = new RoadLine[blocks + 1];
        for (var b = 0; b <= blocks; b++)
        {
            var offset = Math.Abs(b - centre);
            var line = new RoadLine(vertical, b, fine[b])
            {
                Highway = offset % 8 == 0 ? "primary" : offset % 3 == 0 ? "secondary" : "residential",
            };
            line.Name = line.Highway == "primary" && offset == 0
                ? (vertical ? "播州大道" : "南白大道")
                : plan.Names.Road(line.Highway == "primary" ? "大道" : vertical ? "路" : "街");
            lines[b] = line;
        }
        return lines;
    }
}
