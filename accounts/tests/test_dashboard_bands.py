"""The dashboard's band tiles: an icon besides the colour, and a note on the bands set by hand."""

import re

from accounts.tests.test_dashboard import board, figure, portfolio  # noqa: F401 (fixtures)


def test_band_tiles_carry_an_icon_and_say_they_include_the_bands_set_by_hand(board):  # noqa: F811
    tile = re.search(r"data-testid=\"key-red\".*?</a>", board, re.S).group(0)
    assert "bi-x-octagon-fill" in tile and "Red" in tile
    note = figure(board, "key-band-note")
    assert "including 1 band set by hand then in force" in note
    assert "The lists behind them show today's bands" in note
