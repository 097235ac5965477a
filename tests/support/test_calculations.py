"""Expected values come from the live prr; the seed's 'discrepancy' was a test assuming prr 1000."""
from __future__ import annotations

import pytest

from focus_support.calculations import (
    BIN_TOLERANCE_HZ, bytes_per_row, expected_configure, expected_frequencies, expected_stream_mapping,
    frequency_resolution, gaps_off_spacing,
)
from focus_support.errors import PreconditionNotMetError
from focus_support.models import LiveMetadata, ViewType, build_configure_request


def test_resolution_and_bins_follow_the_live_prr():
    assert frequency_resolution(2000, 256) == 7.8125
    assert len(expected_frequencies(2000, 256, 0, 500)) == 65  # k = 0..64, both band edges inclusive
    assert len(expected_frequencies(1000, 512, 0, 500)) == 257
    assert expected_frequencies(2000, 256, 10, 20) == [15.625]


def test_waiting_for_fibre_is_a_precondition_not_a_division_by_zero():
    with pytest.raises(PreconditionNotMetError):
        frequency_resolution(0, 256)


def test_stream_mapping_by_view():
    multi = build_configure_request(ViewType.MULTICHANNEL, channels=(1, 8))
    assert expected_stream_mapping(multi) == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1, "6": 1, "7": 2, "8": 2}
    assert expected_stream_mapping(build_configure_request(ViewType.MULTICHANNEL, channels=(5, 6))) == {"5": 0, "6": 1}
    assert expected_stream_mapping(build_configure_request(ViewType.SINGLECHANNEL, channels=(7, 7))) == {"7": 0}
    assert set(expected_stream_mapping(build_configure_request(ViewType.WATERFALL, channels=(1, 4))).values()) == {0}


def test_expected_configure_for_each_view():
    live = LiveMetadata.model_validate({"prr": 2000, "dx": 1, "number_of_channels": 100})
    multi = expected_configure(build_configure_request(ViewType.MULTICHANNEL, channels=(1, 8)), live)
    assert (multi.channel_amount, multi.stream_amount, multi.lines_dt) == (8, 3, 30 / 768)
    assert multi.frequencies_amount == 65 and multi.bytes_per_row == 8 * 65 * 4
    single = expected_configure(build_configure_request(ViewType.SINGLECHANNEL, duration_s=10, height=1000), 2000)
    assert (single.channel_amount, single.stream_amount, single.lines_dt) == (1, 1, 0.01)
    water = expected_configure(build_configure_request(ViewType.WATERFALL, channels=(1, 4)), 2000)
    assert water.frequencies_list == [] and water.lines_dt == 1 / 2000 and water.stream_amount == 1
    assert bytes_per_row(3, 0) == 0


def test_bins_off_the_spacing_are_named_by_index_and_float_rounding_is_not():
    step = 1000 / 256
    freqs = [k * step for k in range(4)] + [3 * step + 2 * step]
    gaps, wrong = gaps_off_spacing(freqs, step)
    assert len(gaps) == 4 and [i for i, _ in wrong] == [3] and wrong[0][1] == pytest.approx(2 * step)
    assert gaps_off_spacing([0.0, step + BIN_TOLERANCE_HZ / 2], step)[1] == []
