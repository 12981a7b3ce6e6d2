"""The charts module: the SVG a page inlines names itself to assistive technology and carries its figures as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lending.reports.charts import bar_chart, svg
from lending.reports.schemas import Bar

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()).strip() for node in root.iterfind(".//svg:text", NS)]


def test_svg_is_an_image_named_by_its_title_and_description() -> None:
    drawing = bar_chart("Loans per month", [Bar(label="Jan", value=3), Bar(label="Feb", value=12)])
    root = parse(svg(drawing, "Loans per month", "Loans issued in each of the last two months"))

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None and title.text == "Loans per month"
    assert desc is not None and desc.text == "Loans issued in each of the last two months"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root.get("viewBox") == "0 0 480 220"


def test_every_bar_shows_its_label_and_value_as_text() -> None:
    bars = [Bar(label="B12", value=20), Bar(label="B11", value=7), Bar(label="B10", value=0)]
    shown = texts(parse(svg(bar_chart("Families by district", bars, horizontal=True), "Families by district")))

    assert "Families by district" in shown
    for label in ("B12", "B11", "B10", "20", "7", "0"):
        assert label in shown


def test_a_suppressed_group_is_labelled_under_five_and_drawn_without_height() -> None:
    bars = [Bar(label="B12", value=9), Bar(label="B13", value="<5")]
    drawing = bar_chart("Families by district", bars)
    root = parse(svg(drawing, "Families by district"))

    assert "<5" in texts(root)
    # Only B12's bar has a height: B13's has none to guess at.
    rects = root.iter("{http://www.w3.org/2000/svg}rect")
    bars_drawn = [rect for rect in rects if rect.get("fill") == "rgb(62%,62%,62%)"]
    assert len(bars_drawn) == 1


def test_without_a_description_the_title_alone_names_the_chart() -> None:
    root = parse(svg(bar_chart("Stock", [Bar(label="ready", value=4)]), "Stock & pipeline"))

    title = root.find("svg:title", NS)
    assert title is not None and title.text == "Stock & pipeline"  # escaped in the markup, parsed back whole
    assert root.find("svg:desc", NS) is None
    assert root.get("aria-labelledby") == title.get("id")


def test_two_charts_on_one_page_share_no_id() -> None:
    first = parse(svg(bar_chart("A", [Bar(label="x", value=1)]), "A"))
    second = parse(svg(bar_chart("B", [Bar(label="y", value=2)]), "B"))

    ids = [node.get("id") for root in (first, second) for node in root.iter() if node.get("id")]
    assert ids and len(ids) == len(set(ids))
    for root in (first, second):
        for group in root.iter("{http://www.w3.org/2000/svg}g"):
            if group.get("clip-path"):
                clip = str(group.get("clip-path")).split("#")[1].rstrip(")")
                assert root.find(f".//svg:clipPath[@id='{clip}']", NS) is not None


def test_an_empty_chart_says_so_rather_than_drawing_axes() -> None:
    shown = texts(parse(svg(bar_chart("Loans per month", []), "Loans per month")))

    assert shown == ["Loans per month", "No figures for this period."]


def test_many_months_and_long_names_stay_within_the_drawing() -> None:
    months = [Bar(label=f"Month {n:02d}", value=n * 3) for n in range(1, 25)]
    vertical = bar_chart("Loans per month", months)
    long = [Bar(label="The Very Long Name of a Nominating Primary Academy", value=5)]
    horizontal = bar_chart("Schools", long, horizontal=True, width=300)

    for drawing in (vertical, horizontal):
        x0, y0, x1, y1 = drawing.getBounds()
        assert x0 >= -1 and y0 >= -1 and x1 <= drawing.width + 1 and y1 <= drawing.height + 1
    assert any(
        text.startswith("The Very Long Name") and text.endswith("…") and len(text) <= 28
        for text in texts(parse(svg(horizontal, "Schools")))
    )
    assert "72" in texts(parse(svg(vertical, "Loans per month")))


def test_axis_steps_are_whole_numbers() -> None:
    shown = texts(parse(svg(bar_chart("Loans", [Bar(label="a", value=2), Bar(label="b", value=3)]), "Loans")))

    assert "0.5" not in shown and "1.5" not in shown
    assert {"0", "1", "2", "3"} <= set(shown)


def test_the_svg_has_no_inline_styles_so_a_strict_content_security_policy_lets_it_draw() -> None:
    root = parse(svg(bar_chart("Loans", [Bar(label="Jan", value=3)]), "Loans"))

    assert [node.tag for node in root.iter() if node.get("style")] == []
    bars = [rect for rect in root.iter("{http://www.w3.org/2000/svg}rect") if rect.get("fill") == "rgb(62%,62%,62%)"]
    assert len(bars) == 1 and bars[0].get("stroke") == "rgb(0%,0%,0%)"
    title = next(node for node in root.iterfind(".//svg:text", NS) if "".join(node.itertext()) == "Loans")
    assert title.get("font-family") == "Helvetica, Arial, sans-serif" and title.get("font-weight") == "bold"
    clipped = [group for group in root.iter("{http://www.w3.org/2000/svg}g") if group.get("clip-path")]
    assert [group.get("clip-path") for group in clipped] == [f"url(#{root.find('svg:clipPath', NS).get('id')})"]
