using GridMap.Core.Model;
using GridMap.IO.Osm;

namespace GridMap.IO.Tests;

/// <summary>
/// OSM tags → station kind, one theory per rule of ../shared/docs/domain.md ("From OpenStreetMap"). Tags are written
/// <c>key=value|key=value</c> (values may hold <c>;</c>, as <c>isced:level=2;3</c> does).
/// </summary>
public class OsmStationKindsTests
{
    static string? KindOf(string tags) =>
        OsmStationKinds.KindOf(tags.Split('|').Select(t => t.Split('=', 2)).ToDictionary(t => t[0], t => t[1]));

    [Theory]
    [InlineData("name=Changjiang Road Primary|name:zh=长江路小学|amenity=school", StationKinds.PrimarySchool)]
    [InlineData("name=Some School|name:zh-Hans=某某小学|amenity=school", StationKinds.School)] // name comes before name:zh-Hans
    [InlineData("name:zh-Hans=某某小学|amenity=school", StationKinds.PrimarySchool)]
    [InlineData("name=某某小学|name:zh=|amenity=school", StationKinds.PrimarySchool)] // an empty name:zh is no name
    public void Names_are_read_as_name_zh_then_name_then_name_zh_Hans(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=hospital|name=成华区猛追湾街道社区卫生服务中心", StationKinds.Clinic)]
    [InlineData("amenity=clinic|name=某某社区卫生服务中心", StationKinds.Clinic)]
    [InlineData("amenity=doctors|name=某某社区卫生服务中心", StationKinds.Clinic)]
    [InlineData("amenity=community_centre|name=某某社区卫生服务中心", StationKinds.Clinic)]
    public void A_community_health_centre_is_a_clinic_whatever_its_amenity(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=clinic|name=某某社区卫生服务站", StationKinds.HealthStation)]
    [InlineData("amenity=hospital|name=某某社区卫生服务站", StationKinds.HealthStation)]
    [InlineData("amenity=doctors|name=某某社区卫生服务站", StationKinds.HealthStation)]
    [InlineData("amenity=clinic|name=某某社区卫生服务中心东街社区卫生服务站", StationKinds.HealthStation)]
    public void A_community_health_station_is_a_health_station_whatever_its_amenity(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=community_centre|name=某某党群服务中心", StationKinds.PartyServiceCentre)]
    [InlineData("amenity=community_centre|name=某某社区", StationKinds.CommunityServiceStation)]
    [InlineData("amenity=community_centre", StationKinds.CommunityServiceStation)]
    public void A_community_centre_is_a_party_service_centre_by_its_name_else_a_community_service_station(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=social_facility|social_facility:for=senior", StationKinds.DayCare)]
    [InlineData("amenity=social_facility|social_facility:for=child", null)]
    [InlineData("amenity=social_facility", null)]
    public void A_social_facility_for_seniors_is_a_day_care(string tags, string? expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=clinic", StationKinds.Clinic)]
    [InlineData("amenity=doctors", StationKinds.Clinic)]
    [InlineData("amenity=hospital", StationKinds.Hospital)]
    [InlineData("amenity=hospital|name=成都市第六人民医院", StationKinds.Hospital)]
    public void Clinics_and_doctors_are_clinics_and_hospitals_hospitals(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=school|name=加州阳光幼儿园", StationKinds.Kindergarten)]
    [InlineData("amenity=college|name=某某幼儿园", StationKinds.Kindergarten)]
    [InlineData("amenity=school|name=某某小学附属幼儿园", StationKinds.Kindergarten)]
    [InlineData("amenity=school|isced:level=1|name=某某幼儿园", StationKinds.Kindergarten)] // the name before isced
    [InlineData("amenity=school|name=某某小学", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|name=成都市建设路小学东区", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|name=某某中学附属小学", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|name=电子科技大学附实小蓝水湾校区", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|name=川师附小", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|isced:level=2|name=某某小学", StationKinds.PrimarySchool)] // the name before isced
    [InlineData("amenity=kindergarten|name=某某小学", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|name=某某中学", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|name=石室初中青龙校区", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|name=成都十八中", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|name=成都49中 - No. 49", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|name=成都铁中", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|name=成都市实验外国语学校（高中部）", StationKinds.MiddleSchool)]
    [InlineData("amenity=college|name=某某中学", StationKinds.MiddleSchool)]
    public void For_schools_the_name_decides_where_it_says_so(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=school|isced:level=1|name=某某学校", StationKinds.PrimarySchool)]
    [InlineData("amenity=school|isced:level=2|name=某某学校", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|isced:level=2;3", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|isced:level=2-3", StationKinds.MiddleSchool)]
    [InlineData("amenity=school|isced:level=0", StationKinds.Kindergarten)]
    [InlineData("amenity=school|isced:level=1-2|name=九年一贯制学校", StationKinds.School)] // spans both levels
    [InlineData("amenity=school|isced:level=1;2|name=某某中小学", StationKinds.School)] // 中小学: the name says both
    [InlineData("amenity=school|isced:level=1|name=某某中小学", StationKinds.PrimarySchool)]
    [InlineData("amenity=college|isced:level=3|name=某某职业学校", StationKinds.MiddleSchool)]
    [InlineData("amenity=college|isced:level=5|name=某某职业技术学院", StationKinds.School)]
    public void Else_isced_level_decides(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=school", StationKinds.School)]
    [InlineData("amenity=school|name=某某学校", StationKinds.School)]
    [InlineData("amenity=school|name=成都双语实验学校", StationKinds.School)]
    [InlineData("amenity=college|name=西南交通大学", StationKinds.School)]
    [InlineData("amenity=college", StationKinds.School)]
    [InlineData("amenity=kindergarten", StationKinds.Kindergarten)]
    [InlineData("amenity=childcare", StationKinds.Kindergarten)]
    [InlineData("amenity=childcare|name=某某托育中心", StationKinds.Kindergarten)]
    public void Else_a_school_or_college_is_school_and_a_kindergarten_or_childcare_kindergarten(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=school|name=中共成华区委党校", StationKinds.Other)]
    [InlineData("amenity=college|name=中共四川省委党校", StationKinds.Other)]
    [InlineData("amenity=school|name=成华区教师进修学校", StationKinds.Other)]
    [InlineData("amenity=school|name=成都市成人中学", StationKinds.Other)] // 成人 before 中学
    [InlineData("amenity=college|name=某某成人教育学院", StationKinds.Other)]
    [InlineData("amenity=school|name=成都树才培训学校", StationKinds.Other)]
    [InlineData("amenity=school|isced:level=1|name=某某小学培训中心", StationKinds.Other)]
    [InlineData("amenity=childcare|name=某某幼儿培训中心", StationKinds.Other)]
    [InlineData("amenity=school|name=培华小学", StationKinds.PrimarySchool)] // 培 alone is no 培训
    public void Party_training_teacher_training_and_adult_schools_are_other(string tags, string expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=marketplace", StationKinds.Market)]
    [InlineData("amenity=marketplace|name=某某菜市场", StationKinds.Market)]
    [InlineData("shop=supermarket", StationKinds.Market)]
    [InlineData("shop=greengrocer", StationKinds.Market)]
    [InlineData("shop=kiosk", null)]
    [InlineData("shop=convenience", null)]
    [InlineData("shop=convenience|name=某某生鲜便利店", null)]
    [InlineData("shop=clothes", null)]
    public void Marketplaces_supermarkets_and_greengrocers_are_markets_kiosks_and_convenience_stores_not(string tags, string? expected) =>
        Assert.Equal(expected, KindOf(tags));

    [Theory]
    [InlineData("amenity=toilets")]
    [InlineData("amenity=restaurant|name=某某餐厅")]
    [InlineData("amenity=university|name=四川大学")]
    [InlineData("building=yes|name=某某社区卫生服务中心")] // a building outline, not an amenity
    [InlineData("name=某某小学")]
    public void Everything_else_is_no_station(string tags) =>
        Assert.Null(KindOf(tags));
}
