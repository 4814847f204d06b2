"""The in-process rate counter: fixed windows, each counter expiring with its own window."""

from __future__ import annotations

from unique.ratelimit import LocalCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_window_counts_up_to_its_limit_and_then_resets() -> None:
    clock = Clock()
    counter = LocalCounter(clock)
    verdicts = [await counter.hit("a", 3, 60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[0].remaining == 2 and verdicts[-1].remaining == 0
    clock.now += 60
    assert (await counter.hit("a", 3, 60)).allowed


async def test_sweeping_short_windows_keeps_longer_ones() -> None:
    clock = Clock()
    counter = LocalCounter(clock)
    for _ in range(3):
        await counter.hit("minute", 3, 60)
    clock.now += 2  # every one-second window has ended; the minute has not
    await counter.hit("burst", 40, 1)
    assert not (await counter.hit("minute", 3, 60)).allowed
