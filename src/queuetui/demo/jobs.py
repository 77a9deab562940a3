"""Job functions the demo workload enqueues. Workers import them by name (queuetui.demo.jobs.*)."""

from __future__ import annotations

import random
import time


class PaymentDeclined(Exception):
    """The card issuer said no."""


def charge_card(order_id: int, amount_cents: int) -> dict[str, object]:
    time.sleep(random.uniform(0.02, 0.2))
    if random.random() < 0.08:
        raise PaymentDeclined(f"card declined for order {order_id} (code 05)")
    return {"order_id": order_id, "charged": amount_cents}


def send_email(to: str, template: str) -> str:
    time.sleep(random.uniform(0.05, 0.4))
    roll = random.random()
    if roll < 0.05:
        raise ValueError(f"invalid address {to!r}")
    if roll < 0.09:
        raise ConnectionRefusedError(111, "Connection refused by smtp.internal:25")
    return f"sent {template} to {to}"


def resize_image(image_id: int, width: int) -> str:
    time.sleep(random.uniform(0.2, 0.8))
    if random.random() < 0.04:
        raise KeyError(f"image {image_id}")
    return f"images/{image_id}_{width}.webp"


def build_report(report_id: int, seconds: float) -> int:
    time.sleep(seconds)
    return report_id


def sync_account(account_id: int, failure_rate: float) -> str:
    """A call to a flaky upstream: enqueued with a Retry, so failures come back after a backoff."""
    time.sleep(random.uniform(0.1, 0.5))
    if random.random() < failure_rate:
        raise TimeoutError(f"upstream did not answer for account {account_id} within 5s")
    return f"account {account_id} synced"


def purge_sessions(batch: int) -> int:
    time.sleep(random.uniform(0.5, 1.5))
    return batch * 100


def import_row(row: int) -> int:
    time.sleep(random.uniform(0.05, 0.3))
    if row % 13 == 7:
        raise ValueError(f"row {row}: column 'price' is not a number")
    return row


def always_fails(what: str) -> None:
    raise RuntimeError(f"{what} is broken")
