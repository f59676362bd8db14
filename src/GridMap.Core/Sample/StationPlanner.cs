using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>
/// Places service stations on free cells (gardens, village squares, public blocks): a party-mass service centre
/// and one 5-minute-circle facility per community, a clinic, primary school, kindergarten and market per street,
/// a middle school every second street and a hospital every third. Each new station takes the free cell
/// farthest from the stations already placed, so they spread out like real catchments.
/// </summary>
internal sealed class StationPlanner(SamplePlan plan)
{
    static readonly string[] CommunityKinds =
    [
        StationKinds.CommunityServiceStation, StationKinds.Canteen, StationKinds.DayCare, StationKinds.HealthStation,
        StationKinds.Kindergarten, StationKinds.GridStation, StationKinds.MicroStation,
    ];

    readonly Random _random = plan.Random;
    readonly List<Coordinate> _placed = [];
    readonly HashSet<int> _taken = [];
    int _primary, _middle, _hospital, _kindergarten;

    public void Plan()
    {
        for (var c = 0; c < plan.Communities.Count; c++)
        {
            var community = plan.Communities[c];
            var free = FreeCells([community]);
            var centre = Centre(community);
            Place(StationKinds.PartyServiceCentre, community, free, near: centre);
            Place(CommunityKinds[c % CommunityKinds.Length], community, free, near: null);
        }
        for (var s = 0; s < plan.Streets.Count; s++)
        {
            var street = plan.Streets[s];
            var free = FreeCells(street.Children);
            foreach (var kind in new[] { StationKinds.Clinic, StationKinds.PrimarySchool, StationKinds.Kindergarten, StationKinds.Market })
                Place(kind, street, free, near: null);
            if (s % 2 == 0) Place(StationKinds.MiddleSchool, street, free, near: null);
            if (s % 3 == 0) Place(StationKinds.Hospital, street, free, near: null);
        }
    }

    Coordinate Centre(PlannedArea community)
    {
        var layout = plan.Layout;
        var i0 = layout.ColumnLines[community.Bx0];
        var i1 = layout.ColumnLines[community.Bx1];
        var j0 = layout.RowLines[community.By0];
        var j1 = layout.RowLines[community.By1];
        return layout.CellCentre(layout.CellIndex((i0 + i1) / 2, (j0 + j1) / 2));
    }

    /// <summary>Cells without buildings; if a community has none, block corners in the setback by the road.</summary>
    List<(int Cell, Coordinate At)> FreeCells(IEnumerable<PlannedArea> communities)
    {
        var layout = plan.Layout;
        var free = new List<(int, Coordinate)>();
        foreach (var community in communities)
        foreach (var block in community.Blocks)
        {
            var before = free.Count;
            for (var j = block.J0; j < block.J1; j++)
            for (var i = block.I0; i < block.I1; i++)
            {
                var cell = layout.CellIndex(i, j);
                if (plan.CellBuildings[cell] is null) free.Add((cell, layout.CellCentre(cell)));
            }
            if (free.Count == before)
            {
                var corner = layout.CellIndex(block.I0, block.J0);
                var q = layout.CellQuad(block.I0, block.J0);
                free.Add((corner, BuildingPlacer.Bilinear(q, 0.03, 0.03)));
            }
        }
        return free;
    }

    void Place(string kind, PlannedArea area, List<(int Cell, Coordinate At)> free, Coordinate? near)
    {
        var open = free.Where(f => !_taken.Contains(f.Cell)).ToList();
        if (open.Count == 0) open = free;
        if (open.Count == 0) return;
        var site = near is not null
            ? open.MinBy(f => f.At.Distance(near))
            : open.MaxBy(f => _placed.Count == 0 ? f.At.Distance(new Coordinate(0, 0)) : _placed.Min(p => p.Distance(f.At)));
        _taken.Add(site.Cell);
        _placed.Add(site.At);
        var community = plan.CellBlock[site.Cell].Community!;
        var (hours, capacity) = Details(kind);
        plan.Stations.Add(new PlannedStation(kind, Name(kind, area, community), hours, capacity, community, site.At));
    }

    string Name(string kind, PlannedArea area, PlannedArea community)
    {
        var street = area.Parent is null ? area.Name.Replace("街道", "") : area.Parent.Name.Replace("街道", "");
        return kind switch
        {
            StationKinds.PartyServiceCentre => $"{community.Name}党群服务中心",
            StationKinds.CommunityServiceStation => $"{community.Name}服务站",
            StationKinds.GridStation => $"{community.Name}第1网格服务站",
            StationKinds.MicroStation => $"{community.Name}红色驿站",
            StationKinds.Canteen => $"{community.Name}老年食堂",
            StationKinds.DayCare => $"{community.Name}日间照料中心",
            StationKinds.HealthStation => $"{community.Name}卫生服务站",
            StationKinds.Kindergarten => $"播州区第{Chinese(++_kindergarten)}幼儿园",
            StationKinds.Clinic => $"{street}社区卫生服务中心",
            StationKinds.PrimarySchool => $"播州区第{Chinese(++_primary)}小学",
            StationKinds.MiddleSchool => $"播州区第{Chinese(++_middle)}中学",
            StationKinds.Hospital => ++_hospital == 1 ? "播州区人民医院" : _hospital == 2 ? "播州区中医院" : $"{street}医院",
            StationKinds.Market => $"{street}农贸市场",
            _ => $"{community.Name}服务点",
        };
    }

    (string Hours, int? Capacity) Details(string kind) => kind switch
    {
        StationKinds.PartyServiceCentre => ("Mo-Fr 08:30-12:00,14:00-17:30; Sa 09:00-12:00", null),
        StationKinds.CommunityServiceStation or StationKinds.GridStation => ("Mo-Fr 08:30-17:30", null),
        StationKinds.MicroStation => ("Mo-Su 07:00-21:00", 10 + 5 * _random.Next(4)),
        StationKinds.Canteen => ("Mo-Su 11:00-13:00,17:00-19:00", 40 + 10 * _random.Next(8)),
        StationKinds.DayCare => ("Mo-Fr 08:00-17:30", 20 + 5 * _random.Next(6)),
        StationKinds.HealthStation => ("Mo-Su 08:00-18:00", null),
        StationKinds.Kindergarten => ("Mo-Fr 07:30-17:30", 180 + 30 * _random.Next(7)),
        StationKinds.Clinic => ("Mo-Su 08:00-20:00", 20 + 10 * _random.Next(4)),
        StationKinds.PrimarySchool => ("Mo-Fr 07:30-17:30", 1200 + 200 * _random.Next(7)),
        StationKinds.MiddleSchool => ("Mo-Fr 07:00-18:00", 1500 + 300 * _random.Next(6)),
        StationKinds.Hospital => ("24/7", 300 + 100 * _random.Next(6)),
        StationKinds.Market => ("Mo-Su 06:00-20:00", null),
        _ => ("Mo-Fr 09:00-17:00", null),
    };

    static string Chinese(int n)
    {
        string[] digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        if (n < 10) return digits[n];
        if (n < 20) return "十" + (n % 10 == 0 ? "" : digits[n % 10]);
        if (n < 100) return digits[n / 10] + "十" + (n % 10 == 0 ? "" : digits[n % 10]);
        return n.ToString();
    }
}
