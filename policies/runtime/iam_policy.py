"""IAM policy documents as rules read them: statements, fields in any case, and too-broad grants.

Documents arrive as a JSON string (the usual way) or as an object; both the S3 transport rule and the
least-privilege rules read statements through here, so a document is parsed one way everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from llmops_infra.policies.runtime.props import listed, strings
from llmops_infra.policies.runtime.resources import known
from llmops_infra.policies.runtime.rule import judge_each


class PolicyDocumentError(ValueError):
    """A policy document that cannot be read as one; rules report it rather than pass it unseen."""


def field(statement: Mapping[str, Any], name: str) -> Any:
    # IAM JSON uses PascalCase ("NotAction"); an object-form document written from the SDK's TypedDicts may
    # arrive snake_case ("not_action"), so keys are compared without case and underscores.
    wanted = name.lower()
    for key in statement:
        if isinstance(key, str) and key.replace("_", "").lower() == wanted:
            return statement[key]
    return None


def statements(document: Any) -> Sequence[Any]:
    """The Statement of a policy document given as a JSON string or an object, as a list whose elements are left
    unread: each is read on its own (see each_statement), so a statement unknown at preview hides no other.

    Statement may be one object or a list. Raises PolicyDocumentError for a string that is not JSON or a document
    that is not an object: an unreadable policy cannot be shown to be least-privilege, so rules report it (fail
    closed).
    """
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError as error:
            raise PolicyDocumentError("is not valid JSON") from error
        # A JSON string may still hold an unknown preview value; the proxy makes reading it "cannot judge".
        document = unknown_checking_proxy({"document": parsed})["document"]
    if not isinstance(document, Mapping):
        raise PolicyDocumentError("is not a JSON object")
    statement = field(document, "Statement")
    if isinstance(statement, Mapping):
        return (statement,)
    return listed(statement)


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (see `statements`), every one read; elements that are not objects are
    skipped (they grant nothing AWS would accept)."""
    return [s for s in statements(document) if isinstance(s, Mapping)]


def each_statement(found: Sequence[Any], judge: Callable[[int, Mapping[str, Any]], Iterable[str]]) -> Iterator[str]:
    """`judge(index, statement)`'s messages for each statement of `statements`, each judged on its own (judge_each):
    one unknown at preview stops only its own verdict. Elements that are not objects grant nothing and are skipped;
    `index` counts the statements before it (as policy_statements lists them; an unknown element counts as one)."""
    indexes: list[int] = []
    count = 0
    for position in range(len(found)):
        indexes.append(count)
        try:
            count += isinstance(found[position], Mapping)
        except UnknownValueError:
            count += 1

    def one(position: int, statement: Any) -> Iterable[str]:
        return judge(indexes[position], statement) if isinstance(statement, Mapping) else ()

    yield from judge_each(found, one)


def statement_name(statement: Mapping[str, Any], index: int) -> str:
    """How a message names a statement: by its Sid, else (absent, or unknown at preview) by its index."""
    sid = known(lambda: field(statement, "Sid"), None)
    return f"statement {sid}" if isinstance(sid, str) and sid else f"statement {index}"


def is_wildcard_action(action: str) -> bool:
    """`*` or a whole service (`s3:*`); IAM action names are case-insensitive."""
    action = action.strip()
    return action == "*" or (action.count(":") == 1 and action.split(":")[1] == "*")


def wildcard_grant(statement: Mapping[str, Any]) -> str | None:
    """What a statement grants too broadly ("s3:*, iam:*"), or None when it is not an all-resources wildcard.

    Only an explicit Deny grants nothing; anything else is read as Allow (fail closed). Allow with NotAction
    grants every action but the listed ones, so it counts as `*`. Resource absent or NotResource means every
    resource.
    """
    effect = field(statement, "Effect")
    if isinstance(effect, str) and effect.strip().lower() == "deny":
        return None
    resources = strings(field(statement, "Resource"))
    not_resources = field(statement, "NotResource")
    all_resources = not_resources is not None or not resources or any(r.strip() == "*" for r in resources)
    if not all_resources:
        return None
    if field(statement, "NotAction") is not None:
        return "every action but " + ", ".join(strings(field(statement, "NotAction")))
    broad = [a for a in strings(field(statement, "Action")) if is_wildcard_action(a)]
    return ", ".join(broad) if broad else None


def wildcard_findings(document: Any, where: str) -> Iterator[str]:
    """Messages for a policy document: one per wildcard statement, or one if it cannot be read."""
    try:
        found = statements(document)
    except PolicyDocumentError as error:
        yield f"{where} {error}, so its grants cannot be checked"
        return

    def judge(index: int, statement: Mapping[str, Any]) -> Iterator[str]:
        grant = wildcard_grant(statement)
        if grant:
            yield f"{where} {statement_name(statement, index)} allows {grant} on all resources"

    yield from each_statement(found, judge)
