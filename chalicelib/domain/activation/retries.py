"""When a transiently failed activation step is tried again, and how it is queued."""

from __future__ import annotations

from ..ports import Deps
from ..queues import delay_for
from ..retry import RandomSource, RetrySchedule
from .messages import ActivationMessage

# Waits after the 1st, 2nd, ... transient fault of an attempt (about 1 min, 5 min, 15 min,
# 1 h, 3 h, 6 h: some 11 hours in all). When they are spent the activation is `failed`.
ACTIVATION_RETRIES = RetrySchedule(waits_s=(60, 300, 900, 3600, 3 * 3600, 6 * 3600))


def wait_after(step: ActivationMessage, rng: RandomSource | None = None) -> int | None:
    """The wait after `step` failed transiently (the attempt's failures so far are its
    retries spent plus this one); None when the budget is spent."""
    return ACTIVATION_RETRIES.wait_after(step.retry_number + 1, rng=rng)


def queue_next_step(step: ActivationMessage, wait_s: int, deps: Deps) -> ActivationMessage:
    """Queue the retry that follows `step` after `wait_s` seconds."""
    delay = delay_for(wait_s, deps.clock.now())
    following = step.model_copy(
        update={"retry_number": step.retry_number + 1, "not_before": delay.not_before}
    )
    deps.activation_queue.send(following, delay_seconds=delay.queue_delay_s)
    return following
