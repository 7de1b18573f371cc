"""Helpers shared by the storage tests: the moto table and store factories."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from aloft.storage.base import StateStore
from aloft.storage.dynamodb import DynamoDBStateStore

REGION = "us-east-1"
TABLE = "aloft-contract"

StoreFactory = Callable[..., StateStore]


def no_sleep(_seconds: float) -> None:
    """Retries in tests do not wait."""


def dynamodb_store(table: str = TABLE, **kwargs: Any) -> DynamoDBStateStore:
    """A store on a moto table, retrying without sleeping."""
    kwargs.setdefault("sleep", no_sleep)
    return DynamoDBStateStore(table, region=REGION, **kwargs)


def empty_table(store: DynamoDBStateStore) -> None:
    """Delete every item but the schema marker (a Scan: test plumbing, not a store access pattern)."""
    client = store.client
    keys = []
    for page in client.get_paginator("scan").paginate(TableName=store.table_name, ProjectionExpression="pk, sk"):
        keys += [item for item in page["Items"] if item["pk"]["S"] != "META"]
    for start in range(0, len(keys), 25):
        client.batch_write_item(
            RequestItems={store.table_name: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]}
        )


class _TableSnapshots:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``.

    moto snapshots the whole table with ``copy.deepcopy`` once per item of
    every TransactWriteItems (to roll back a canceled transaction): O(table)
    per request, where DynamoDB is O(1), and minutes for the tests that fill a
    table. Copying the two levels of item dicts restores the same state for
    transactions made of puts, which are all aloft issues.
    """

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(value, Table):
            clone = copy.copy(value)
            clone.items = defaultdict(
                dict, {key: dict(items) if isinstance(items, dict) else items for key, items in value.items.items()}
            )
            return clone
        return copy.deepcopy(value, memo)

    copy = staticmethod(copy.copy)


def speed_up_moto_transactions(patch: pytest.MonkeyPatch) -> None:
    """Install :class:`_TableSnapshots` for the lifetime of ``patch``."""
    import moto.dynamodb.models

    patch.setattr(moto.dynamodb.models, "copy", _TableSnapshots())
