"""`audit copy`: move a chain between stores (a personal SQLite file into the team's PostgreSQL
store, or back) without changing a single hash.

Records keep their ids, times, authors and hashes, so the target must hold the same chain or a
prefix of it (an empty store is a prefix of every chain). Both ends are verified first; then
only the records the target lacks are written, in batches, each under the target's chain lock,
and the target is verified again. Running it twice copies nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from screen.audit.store.base import Store
from screen.audit.store.records import Record, StoreError

COPY_BATCH = 500  # records per transaction in the target


@dataclass
class Copied:
    source_records: int
    target_before: int
    copied: int
    head: str


def _verified(store: Store, role: str) -> int:
    v = store.verify()
    if not v.ok:
        raise StoreError(
            f"{store.name}: the {role} store does not verify ({v.problem}); nothing was copied",
            hint="run `dealscreen audit verify --store ...` on it",
        )
    return v.records


def copy_store(source: Store, target: Store) -> Copied:
    """Copy the records of `source` that `target` lacks; see the module docstring."""
    if source.name == target.name and source.backend == target.backend:
        raise StoreError(f"{source.name}: --from and --to are the same store")
    n_source = _verified(source, "source")
    n_target = _verified(target, "target")
    # The target must be a prefix of the source: compare its last record with the source's.
    if n_target:
        last = target.get(target.last_id())
        try:
            same = source.get(last.id).hash == last.hash
        except StoreError:
            same = False
        if not same:
            raise StoreError(
                f"{target.name}: holds records that are not in {source.name} (its record "
                f"#{last.id} differs); nothing was copied",
                hint="copy into an empty store, or into one that was copied from this one",
            )
    copied = 0
    batch: list[Record] = []
    texts: dict[str, tuple[str, str]] = {}

    def flush() -> None:
        nonlocal copied
        copied += target.copy_in(batch, texts)
        batch.clear()
        texts.clear()

    for rec in source.iter_records(with_result=True, after_id=target.last_id()):
        for sha in (rec.case_sha256, rec.ruleset_sha256):
            if sha not in texts:
                texts[sha] = source.text_kind(sha)
        batch.append(rec)
        if len(batch) >= COPY_BATCH:
            flush()
    flush()
    _verified(target, "target")
    return Copied(n_source, n_target, copied, target.head())
