"""Excel sheets print readable: fitted to the width only while the text stays at least 10 pt."""

from __future__ import annotations

import pytest

from handlers.io.exports.xlsx import MIN_PRINT_SIZE, PrintLayout, print_layout


def test_a_narrow_table_fits_a_portrait_page() -> None:
    assert print_layout(60, wide=False) == PrintLayout("portrait", True, 100)


def test_a_wide_table_goes_landscape_first() -> None:
    assert print_layout(60, wide=True) == PrintLayout("landscape", True, 100)
    assert print_layout(160, wide=False).orientation == "landscape"  # too small in portrait


@pytest.mark.parametrize("units", [200, 400, 2000])
def test_a_very_wide_table_keeps_10_pt_over_several_pages(units: int) -> None:
    layout = print_layout(units, wide=True)
    assert not layout.fit_width
    assert layout.scale * 12 / 100 >= MIN_PRINT_SIZE - 0.2  # 12 pt text printed at ≥ ~10 pt
    assert layout.scale < 100


@pytest.mark.parametrize("units", range(20, 400, 7))
def test_fitting_never_prints_below_the_minimum(units: int) -> None:
    layout = print_layout(units, wide=units > 100)
    if layout.fit_width:
        page = 770 if layout.orientation == "landscape" else 523
        assert 12 * min(1.0, page / (units * 5.25)) >= MIN_PRINT_SIZE
