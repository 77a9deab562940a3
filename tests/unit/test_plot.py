"""Plots in terminal cells: columns of time and block characters."""

from __future__ import annotations

from queuetui.present.plot import GAP, bars, columns, sparkline


def test_points_fall_into_equal_columns_of_time_and_empty_columns_are_none() -> None:
    points = [(0.0, 1.0), (4.0, 2.0), (5.0, 3.0), (9.9, 4.0), (10.0, 5.0)]
    assert columns(points, 0.0, 10.0, 2) == [3.0, 12.0]  # the end belongs to the last column
    assert columns(points, 0.0, 10.0, 4) == [1.0, 2.0, 3.0, 9.0]
    assert columns([(1.0, 7.0)], 0.0, 10.0, 5) == [7.0, None, None, None, None]
    assert columns(points, 0.0, 10.0, 2, max) == [2.0, 5.0]


def test_points_outside_the_window_are_left_out() -> None:
    assert columns([(-1.0, 5.0), (11.0, 5.0), (3.0, 1.0)], 0.0, 10.0, 1) == [1.0]
    assert columns([(3.0, 1.0)], 0.0, 10.0, 0) == []


def test_one_line_scales_to_the_peak_and_keeps_zero_apart_from_no_sample() -> None:
    assert sparkline([0.0, 1.0, 4.0, 8.0, None]) == " ▁▄█" + GAP
    assert sparkline([0.01, 100.0]) == "▁█"  # anything above zero shows
    assert sparkline([2.0, 2.0], top=4.0) == "▄▄"
    assert sparkline([None, None]) == GAP * 2
    assert sparkline([0.0, 0.0]) == "  "


def test_taller_bars_fill_from_the_bottom_line_up() -> None:
    assert bars([16.0, 8.0, 4.0, 0.0, None], height=2) == [
        "█   " + " ",
        "██▄ " + GAP,
    ]
    assert bars([3.0, 6.0], height=3) == [" █", "▄█", "██"]  # 3 of 6: twelve eighths of 24
    assert bars([1.0], height=0) == []


def test_values_that_are_not_finite_draw_as_gaps() -> None:
    assert sparkline([float("nan"), 1.0, float("inf")]) == GAP + "█" + GAP
