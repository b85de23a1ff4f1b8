"""The region lists people pick from, each division indented under the one it belongs to; and regions named
from the province down."""
from flask_babel import force_locale

from portal.common.regions import region_choices, region_label


def test_a_county_under_its_province_is_not_shown_under_the_city_before_it(db):
    options = dict(region_choices())
    assert options["460000"] == "海南省（460000）"
    assert options["460400"] == "　儋州市（460400）"  # a city
    assert options["460106"] == "　　龙华区（460106）"  # a district of 海口市
    # 五指山市 comes right after 儋州市 in code order, and belongs to 海南省 itself.
    assert options["469001"] == "　五指山市（469001）"
    assert options["469030"] == "　琼中黎族苗族自治县（469030）"


def test_a_region_is_named_from_its_province_down(db):
    assert region_label("460106") == "海南省 海口市 龙华区"
    assert region_label("440309") == "广东省 深圳市 龙华区"  # the same district name in another city
    assert region_label("469030") == "海南省 琼中黎族苗族自治县"
    assert region_label("460000") == "海南省"
    assert region_label("990101") == "990101"  # unknown: the code as it was written
    assert region_label(None) == region_label("") == ""


def test_traditional_chinese_pages_write_region_names_in_traditional_characters(db):
    with force_locale("zh_Hant_TW"):
        assert region_label("469030") == "海南省 瓊中黎族苗族自治縣"
        # OpenCC's phrase table alone would leave this 云 as it is.
        assert region_label("445302") == "廣東省 雲浮市 雲城區"
        assert dict(region_choices(codes=False))["440309"] == "　　龍華區"
    for lang in ("zh_Hans_CN", "en"):
        with force_locale(lang):
            assert region_label("469030") == "海南省 琼中黎族苗族自治县"


def test_the_catalog_region_list_is_in_each_visitors_script(app, client, make_course, monkeypatch):
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_SECONDS", 60)  # as served: the list is drawn once per language
    course = make_course(region_code="469030")
    client.get("/lang/zh_Hant_TW")
    page = client.get("/courses").get_data(as_text=True)
    assert "　瓊中黎族苗族自治縣</option>" in page and "琼中黎族苗族自治县" not in page
    assert "瓊中黎族苗族自治縣" in client.get(f"/courses/{course.id}").get_data(as_text=True)
    client.get("/lang/zh_Hans_CN")
    page = client.get("/courses").get_data(as_text=True)
    assert "　琼中黎族苗族自治县</option>" in page and "瓊中" not in page
