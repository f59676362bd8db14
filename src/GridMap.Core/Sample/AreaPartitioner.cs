namespace GridMap.Core.Sample;

/// <summary>
/// Splits the district into streets and each street into communities by recursive bisection of the block
/// rectangle, balancing households. Areas are whole blocks, so their boundaries follow roads (界线清晰)
/// and, being unions of the same lattice cells, tile their parent exactly.
/// </summary>
internal static class AreaPartitioner
{
    public static void Partition(SamplePlan plan, int streetCount, int communityCount)
    {
        var layout = plan.Layout;
        var perStreet = Enumerable.Range(0, streetCount)
            .Select(s => communityCount / streetCount + (s < communityCount % streetCount ? 1 : 0)).ToArray();
        // Streets need room for their communities; the bisection keeps at least one block per community.
        var district = new PlannedArea(0, 0, layout.BlocksX, layout.BlocksY);
        var streets = Split(plan, district, perStreet.Length, perStreet.Max());
        streets = ReadingOrder(streets);

        for (var s = 0; s < streets.Count; s++)
        {
            var street = streets[s];
            street.Code = $"{SampleCityGenerator.DistrictCode}{s + 1:000}";
            street.Name = plan.Names.Street();
            plan.Streets.Add(street);
            var communities = ReadingOrder(Split(plan, street, perStreet[s], 1));
            for (var c = 0; c < communities.Count; c++)
            {
                var community = communities[c];
                community.Code = $"{street.Code}{c + 1:000}";
                community.Name = plan.Names.Community();
                community.Parent = street;
                street.Children.Add(community);
                plan.Communities.Add(community);
                for (var by = community.By0; by < community.By1; by++)
                for (var bx = community.Bx0; bx < community.Bx1; bx++)
                {
                    var block = plan.BlockAt(bx, by);
                    block.Community = community;
                    community.Blocks.Add(block);
                    street.Blocks.Add(block);
                }
            }
        }
    }

    /// <summary>North to south, then west to east (block rows count from the south).</summary>
    static List<PlannedArea> ReadingOrder(List<PlannedArea> areas) =>
        areas.OrderByDescending(a => a.By0 + a.By1).ThenBy(a => a.Bx0 + a.Bx1).ToList();

    static double Weight(SamplePlan plan, int bx0, int by0, int bx1, int by1)
    {
        double w = 0;
        for (var by = by0; by < by1; by++)
        for (var bx = bx0; bx < bx1; bx++) w += plan.BlockAt(bx, by).Households + 100;
        return w;
    }

    static List<PlannedArea> Split(SamplePlan plan, PlannedArea area, int parts, int minBlocksPerPart)
    {
        if (parts <= 1) return [area];
        var left = parts / 2;
        var right = parts - left;
        var total = Weight(plan, area.Bx0, area.By0, area.Bx1, area.By1);
        (PlannedArea A, PlannedArea B)? best = null;
        var bestCost = double.MaxValue;
        void Consider(PlannedArea a, PlannedArea b)
        {
            var blocksA = (a.Bx1 - a.Bx0) * (a.By1 - a.By0);
            var blocksB = (b.Bx1 - b.Bx0) * (b.By1 - b.By0);
            if (blocksA < left * minBlocksPerPart || blocksB < right * minBlocksPerPart) return;
            var share = Weight(plan, a.Bx0, a.By0, a.Bx1, a.By1) / total;
            // Balance households first, then prefer compact (square-ish) pieces.
            var cost = Math.Abs(share - (double)left / parts) + 0.02 * (Aspect(a) + Aspect(b));
            if (cost < bestCost) { bestCost = cost; best = (a, b); }
        }
        for (var cut = area.Bx0 + 1; cut < area.Bx1; cut++)
            Consider(new PlannedArea(area.Bx0, area.By0, cut, area.By1), new PlannedArea(cut, area.By0, area.Bx1, area.By1));
        for (var cut = area.By0 + 1; cut < area.By1; cut++)
            Consider(new PlannedArea(area.Bx0, area.By0, area.Bx1, cut), new PlannedArea(area.Bx0, cut, area.Bx1, area.By1));
        if (best is null) throw new InvalidOperationException($"cannot split {area.Bx1 - area.Bx0}×{area.By1 - area.By0} blocks into {parts} parts");
        return [.. Split(plan, best.Value.A, left, minBlocksPerPart), .. Split(plan, best.Value.B, right, minBlocksPerPart)];
    }

    static double Aspect(PlannedArea a)
    {
        double w = a.Bx1 - a.Bx0, h = a.By1 - a.By0;
        return Math.Max(w / h, h / w);
    }
}
