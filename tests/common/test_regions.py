"""The region lists people pick from: each division indented under the one it belongs to."""
from portal.common.regions import region_choices


def test_a_county_under_its_province_is_not_shown_under_the_city_before_it(db):
    options = dict(region_choices())
    assert options["460000"] == "海南省（460000）"
    assert options["460400"] == "　儋州市（460400）"  # a city
    assert options["460106"] == "　　龙华区（460106）"  # a district of 海口市
    # 五指山市 comes right after 儋州市 in code order, and belongs to 海南省 itself.
    assert options["469001"] == "　五指山市（469001）"
    assert options["469030"] == "　琼中黎族苗族自治县（469030）"
