"""A fake of the subject access read port: rows filed under the lookup that finds them."""

from __future__ import annotations

from domain.subject_access import StoredSubjectData, SubjectLookup


class InMemorySubjectData:
    """What is stored, by ``(method, blind index)``; remembers every lookup it answered."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], StoredSubjectData] = {}
        self.lookups: list[SubjectLookup] = []

    def file(self, lookup: SubjectLookup, data: StoredSubjectData) -> None:
        self.stored[(lookup.method.value, lookup.blind_index)] = data

    async def find(self, lookup: SubjectLookup) -> StoredSubjectData:
        self.lookups.append(lookup)
        return self.stored.get((lookup.method.value, lookup.blind_index), StoredSubjectData())
