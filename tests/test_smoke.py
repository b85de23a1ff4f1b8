def test_catalog_lists_published_course(client, make_course):
    make_course(title="中式烹调师培训班")
    page = client.get("/courses")
    assert "中式烹调师培训班" in page.text
