"""The renderer's shortcuts against the plain one-raster-at-a-time path: upright lines
pasted from their shared mask, polygons painted straight on, visible pixels counted
only where a later item can have covered them. Same pixels, same ids, same counts."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shapely.geometry import Polygon
from shapely.geometry import box as shapely_box

from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.model import Scene, ShapeItem, TextItem
from gen_stress.scenes.objects import EdgedShape
from gen_stress.scenes.render import paste, rasterize, render
from gen_stress.scenes.text import layout_line, layout_text, moved

CATALOG = load_catalog()
INK, PAPER, RED, GREY = (20, 20, 20), (250, 250, 245), (200, 30, 30), (128, 128, 128)


def one_by_one(scene: Scene) -> tuple[Image.Image, np.ndarray, dict, dict]:
    """The reference: every item rasterised and pasted alone, in drawing order; what
    each owns counted on the whole id buffer at the end."""
    size = (scene.width, scene.height)
    image = Image.new("RGB", size, scene.background_rgb)
    ids = Image.new("L" if max(it.item_id for it in scene.items) < 256 else "I", size, 0)
    area = {}
    for item in scene.drawing_order():
        raster = rasterize(item)
        for rgb, mask in raster.layers:
            paste(image, rgb, raster.box, mask)
        owned = raster.owned or (raster.coverage if raster.binary
                                 else raster.coverage.convert("1", dither=Image.Dither.NONE))
        paste(ids, item.item_id, raster.box, owned)
        area[item.item_id] = int(np.count_nonzero(np.asarray(owned.convert("L")) == 255))
    array = np.asarray(ids)
    visible = {it.item_id: int(np.count_nonzero(array == it.item_id)) for it in scene.items}
    return image, array, area, visible


def line(item_id: int, text: str, start: tuple[float, float], *, text_px: int = 11, font: str = "DejaVu Sans",
         rgb=INK, z: int = 2) -> TextItem:
    layout = layout_line(text, CATALOG.by_name(font), text_px=text_px)
    x0, y0, x1, y1 = layout.ink_box_local
    return TextItem(item_id, "body", moved(layout, (start[0] + (x1 - x0) / 2, start[1])), rgb, z=z)


def page(first_id: int = 1) -> list:
    """A dense page: tightly led lines whose boxes meet (descenders over the next line's
    ascenders), a rule painted over a line, a line and a shape cut by the edge, a turned
    and a hollow line, a shape with a hole, an edged shape, a patch over everything."""
    items = [ShapeItem(first_id, "paper", "sheet", "rectangle", PAPER, shapely_box(10, 10, 290, 230), z=0)]
    words = ["Quarterly gyp fjord", "jumpy lazy quiz yg", "Total 1,249.50 EUR", "Wages & Taxes (Q3)"]
    for k, text in enumerate(words * 3):
        items.append(line(first_id + 1 + k, text, (18.0 + 3 * k, 30.0 + 8.5 * k), text_px=8 + k % 4,
                          font=("DejaVu Sans", "EB Garamond", "Dancing Script")[k % 3], rgb=(INK, RED)[k % 2]))
    n = len(items) + first_id
    items += [
        ShapeItem(n, "rule", "rule", "rectangle", GREY, shapely_box(15, 47.4, 200, 48.6), z=2),
        line(n + 1, "off the edge gjq", (250.0, 140.0)),
        ShapeItem(n + 2, "mark", "square", "square", RED, shapely_box(-8, 200, 30, 240.5), z=3),
        TextItem(n + 3, "stamp", layout_text("PAID 12/03", CATALOG.by_name("DejaVu Sans"), text_px=14,
                                              angle_deg=17.0, center=(150.0, 120.0)), RED, z=3),
        TextItem(n + 4, "title", layout_text("Hollow", CATALOG.by_name("DejaVu Sans"), text_px=20, stroke_px=2,
                                              center=(220.0, 60.0)), PAPER, z=3, stroke_rgb=INK),
        ShapeItem(n + 5, "ring", "ring", "ring", GREY,
                  Polygon(shapely_box(60, 150, 120, 210).exterior.coords, [shapely_box(75, 165, 105, 195).exterior.coords]),
                  z=1),
        EdgedShape(ShapeItem(n + 6, "target", "edged square", "square", RED, shapely_box(200.3, 160.2, 240.6, 200.1),
                             z=2), edge_px=2),
        ShapeItem(n + 7, "occluder", "patch", "patch", GREY, shapely_box(100, 55, 160, 75), z=4),
    ]
    return items


@pytest.mark.parametrize("first_id", [1, 300])  # one byte of id per pixel, and 32 bits
def test_render_is_the_one_by_one_render(first_id):
    scene = Scene(300, 240, "white", (255, 255, 255), tuple(page(first_id)))
    image, ids, area, visible = one_by_one(scene)
    rendered = render(scene)
    assert rendered.image.tobytes() == image.tobytes()
    assert np.array_equal(rendered.ids, ids)
    assert rendered.area_px == area
    assert {i: rendered.visible_px(i) for i in area} == visible
    assert all(type(rendered.visible_px(i)) is int for i in area)
    # Some lines are partly covered (by the next line, the rule, the patch), some not at all.
    lines = [it.item_id for it in scene.items if type(it) is TextItem]
    assert any(visible[i] < area[i] for i in lines) and any(visible[i] == area[i] for i in lines)
    assert np.array_equal(rendered.counts, np.bincount(ids.ravel(), minlength=max(256, max(area) + 1)))
    for item in scene.items:  # rasters on demand for lines pasted from their mask
        x0, y0, coverage = rendered.coverage(item.item_id)
        raster = rasterize(item)
        assert (x0, y0) == (raster.x0, raster.y0) and np.array_equal(coverage, np.asarray(raster.coverage))


def test_polygons_past_the_right_and_bottom_edges_are_painted_straight_on_and_counted_whole():
    """Full-width shelf boards and rails end a pixel past the right edge; shapes run past
    the bottom and the corner: painted straight onto the canvas (clipped there), they own
    and count what their masks would, the pixels beyond the edges included; an upright
    rectangle's count is its corners' (thin and empty-looking ones too)."""
    rng = np.random.default_rng(4)
    shapes = [shapely_box(0, 20.4, 200, 31.7), shapely_box(0.6, 40, 200, 44.2), shapely_box(150.5, 130.25, 230, 170),
              shapely_box(0, 0, 200, 160), Polygon([(120.7, 60.2), (260.3, 150.9), (140.1, 190.6)])]
    for _ in range(12):  # triangles and quadrilaterals from inside the canvas to past its far edges
        corner = rng.uniform((0, 0), (190, 150), size=(1, 2))
        shapes.append(Polygon(corner + rng.uniform(0, 90, size=(int(rng.integers(3, 5)), 2))).convex_hull)
    for _ in range(12):  # upright rectangles (their pixels known from their corners): thin, wide, past the edges
        x0, y0 = rng.uniform((0, 0), (195, 155))
        w, h = rng.uniform(0, (3, 2)) if rng.random() < 0.3 else rng.uniform(0, 80, size=2)
        shapes.append(shapely_box(x0, y0, x0 + w, y0 + h))
    for first_id in (1, 300):
        items = [ShapeItem(first_id + k, "shape", "shape", "shape", ((37 * k) % 256, 90, 200 - 9 * k), poly, z=k)
                 for k, poly in enumerate(shapes)]
        items.append(line(first_id + len(items), "over the board", (30.0, 30.0), z=len(items)))
        scene = Scene(200, 160, "white", (255, 255, 255), tuple(items))
        image, ids, area, visible = one_by_one(scene)
        rendered = render(scene)
        assert rendered.image.tobytes() == image.tobytes() and np.array_equal(rendered.ids, ids)
        assert rendered.area_px == area and {i: rendered.visible_px(i) for i in area} == visible
        assert any(rendered.area_px[i] > visible[i] for i in area)  # some own pixels beyond the edges


def test_lines_repeated_on_a_page_share_a_mask_and_count_alike():
    """The same line drawn twice, once covered by a later line of the same text: the
    shared mask is pasted twice, unchanged, and only the covered copy loses pixels."""
    items = (line(1, "Espresso 2.40", (20.0, 40.0)), line(2, "Espresso 2.40", (20.0, 90.0)),
             line(3, "Espresso 2.40", (24.0, 93.0), rgb=RED, z=3))
    scene = Scene(200, 140, "white", (255, 255, 255), items)
    image, ids, area, visible = one_by_one(scene)
    rendered = render(scene)
    assert rendered.image.tobytes() == image.tobytes() and np.array_equal(rendered.ids, ids)
    assert {i: rendered.visible_px(i) for i in area} == visible
    assert visible[1] == area[1] == area[2] > visible[2] > 0 and visible[3] == area[3]


def test_an_upright_rectangle_fills_the_box_pillows_polygon_fills():
    """The renderer fills an upright rectangle as a box (_rectangle_box): the same pixels
    as Pillow's polygon fill of its corners, in either winding, thin or empty-looking,
    on whole pixels or not, past the right and bottom edges (clipped there)."""
    from PIL import ImageDraw

    from gen_stress.scenes.render import _rectangle_box

    rng = np.random.default_rng(11)
    width, height = 64, 48
    for _ in range(3000):
        (x0, x1), (y0, y1) = np.sort(rng.uniform(0, 80, 2)), np.sort(rng.uniform(0, 60, 2))
        if rng.random() < 0.3:
            x0, y1 = float(int(x0)), float(int(y1))
        if rng.random() < 0.2:
            x1, y1 = (x0, y1) if rng.random() < 0.5 else (x1, y0 + rng.uniform(0, 1))
        points = [x0, y0, x1, y0, x1, y1, x0, y1] if rng.random() < 0.5 else [x0, y0, x0, y1, x1, y1, x1, y0]
        polygon = Image.new("L", (width, height), 0)
        ImageDraw.Draw(polygon).draw.draw_polygon(points, 255, 1)
        bx0, by0, bx1, by1 = _rectangle_box(points)
        filled = np.zeros((height, width), dtype=np.uint8)
        filled[by0:by1, bx0:bx1] = 255
        assert np.array_equal(np.asarray(polygon), filled)
    assert _rectangle_box([0, 0, 10, 0, 12, 5, 0, 5]) is None and _rectangle_box([0, 0, 10, 0, 10, 5]) is None
