"""The collector pause shared by the views' catch-up and the replay."""

from __future__ import annotations

import gc

from projections.follower import collector_paused


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    """Paused inside; on again after, even when the body raises."""
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector_paused():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_to_the_outer_one() -> None:
    """The inner pause neither turns the collector on early nor leaves it off."""
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    """A pause does not turn on a collector someone else turned off."""
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
