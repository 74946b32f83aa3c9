"""The whole stack as a stack rule sees it, and how a resource finds its companions in it.

In pulumi-aws v7 a bucket's encryption, policy, versioning and logging are separate resources that point at
the bucket through an input (`bucket`); a flow log points at its VPC through `vpcId`. The exact link is the
engine's property dependency: the companion's input was computed from the subject, so the engine records the
subject's URN under that input (AnalyzeStack's propertyDependencies, a stack export's propertyDependencies).
A companion without one (a literal name, a hand-written export) is matched by value instead, if the rule says
how. A companion whose input is unknown at preview might point at any subject: when a subject has no known
companion but such an undecided one exists, the subject cannot be judged yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.rule import CannotJudge, Resource

T = TypeVar("T")


class Stack:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        for r in self.resources:
            self._by_type[r.type].append(r)
        # (types, key) -> (companions by the URN their `key` depends on, companions with no such dependency)
        self._links: dict[tuple[tuple[str, ...], str], tuple[dict[str, list[Resource]], list[Resource]]] = {}
        self._derived: dict[Hashable, Any] = {}

    def of_type(self, types: Sequence[str]) -> list[Resource]:
        return [r for t in types for r in self._by_type.get(t, ())]

    def derived(self, key: Hashable, build: Callable[[Stack], T]) -> T:
        """`build(self)`, computed once for this stack: a lookup table a rule needs for every subject, so that
        judging all subjects costs a pass over the stack, not one per subject."""
        if key not in self._derived:
            self._derived[key] = build(self)
        return self._derived[key]

    def companions(
        self,
        subject: Resource,
        types: Sequence[str],
        key: str,
        refers: Callable[[Any], bool] | None = None,
    ) -> list[Resource]:
        """The resources of `types` whose `key` input points at `subject`.

        `refers(value)` says whether a companion's plain `key` value names the subject, for companions the
        engine recorded no dependency for. Raises CannotJudge when none is found but a
        companion's `key` is unknown at preview.
        """
        linked, unlinked = self._index(tuple(types), key)
        found = list(linked.get(subject.urn, ()))
        undecided = False
        for companion in unlinked:
            try:
                if refers is not None and refers(companion.props.get(key)):
                    found.append(companion)
                elif refers is None:
                    companion.props.get(key)  # only asks whether the value is known
            except UnknownValueError:
                undecided = True
        if not found and undecided:
            raise CannotJudge(f"a {key} input is unknown at preview")
        return found

    def _index(self, types: tuple[str, ...], key: str) -> tuple[dict[str, list[Resource]], list[Resource]]:
        if (types, key) not in self._links:
            linked: dict[str, list[Resource]] = defaultdict(list)
            unlinked: list[Resource] = []
            for companion in self.of_type(types):
                urns = companion.dependencies.get(key, ())
                for urn in urns:
                    linked[urn].append(companion)
                if not urns:
                    unlinked.append(companion)
            self._links[(types, key)] = (linked, unlinked)
        return self._links[(types, key)]
