"""Plain messages for what pydantic finds wrong in a config: what to write instead, in the config's own terms.

pydantic explains its own model ("Input should be a valid tuple", "String should match pattern '^[a-z0-9]...'");
a person editing a stack file needs the YAML to write ("a list, e.g. [aws]", "lower case letters, digits and
hyphens"). `plain_message` turns one pydantic error into such a message, and `problems_from_validation` a whole
ValidationError into Problems (what parse_platform reports). The key path and the value are the Problem's, so
a message says only what is wrong and the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from llmops_infra.components.config.base import MISSING, OneOf, Problem

Loc = tuple[str | int, ...]

REGION_PATTERN = r"^[a-z]+(-[a-z]+)+-?[0-9]+$"  # PlatformSpec.region: AWS and GCP region names
IMAGE_PATTERN = r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$"  # base.PinnedImage
GCP_ZONE_PATTERN = r"^[a-z]+-[a-z]+[0-9]+-[a-z]$"  # gcp.GcpZone

# What each pattern of the spec (components/config/: a field's `pattern`, or a constrained type such as DnsLabel)
# means, worded as what a value must be. tests/test_bad_configs.py checks every pattern of the spec has its entry.
PATTERN_WORDING: dict[str, str] = {
    r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$": "1 to 32 lower case letters, digits and hyphens, a letter or digit at "
    "both ends (a DNS label), e.g. models",
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$": "a Kubernetes label value: at most 63 letters, digits, "
    "`-`, `_` and `.`, a letter or digit at both ends",
    r"^[a-z][a-z0-9-]*\.[a-z0-9]+$": "an EC2 instance type in lower case, <family>.<size>, e.g. m6i.large",
    r"^1\.[0-9]{2}$": 'a Kubernetes version 1.<minor> written as text, e.g. "1.33"',
    r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$": "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>",
    r"^[A-Za-z]+[A-Za-z0-9-]*$": "a Cloud Storage location (a region, dual-region or multi-region), e.g. EUR4 or "
    "europe-west4",
    r"^cr-[0-9a-f]{8,17}$": "a capacity reservation id: cr- and 8 to 17 hex digits (0-9, a-f), e.g. "
    "cr-0a1b2c3d4e5f60718",
    GCP_ZONE_PATTERN: "a GCP zone, <region>-<letter>, e.g. europe-west4-b",
    r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$": "a Compute Engine name: 1 to 63 lower case letters, digits and hyphens, "
    "starting with a letter and not ending with a hyphen",
    r"^[1-9][0-9]*x[1-9][0-9]*(x[1-9][0-9]*)?$": "a TPU topology, e.g. 2x4 or 4x4x4",
    r"^[0-9]{1,5}(-[0-9]{1,5})?$": 'a port or a port range, e.g. "443" or "8000-8100"',
    r"^[a-z][a-z0-9]*-[a-z0-9-]+$": "a Compute Engine machine type in lower case, e.g. e2-standard-4 or a3-highgpu-8g",
    r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$": "a GCP project id: 6 to 30 lower case letters, digits and hyphens, starting "
    "with a letter",
    r"^[a-z][a-z0-9-]+$": "a disk type in lower case, e.g. pd-ssd or hyperdisk-balanced",
    r"^[1-7]g\.[0-9]+gb$": "a MIG partition size <1-7>g.<N>gb, e.g. 1g.10gb",
    r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$": "a config key <namespace>:<key>, e.g. llmops-infra:kubeconfig",
    IMAGE_PATTERN: "an image in lower case pinned by its digest: pin it with "
    "@sha256:<digest>, e.g. docker.io/vllm/vllm-openai@sha256:<64 hex digits> (a tag can be moved, a digest "
    "cannot)",
    r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$": "a Kubernetes name: lower case letters, digits, `-` and `.`, a letter "
    "or digit at both ends, e.g. gpu-node-01",
    r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$": "a CSI driver name in lower case, e.g. rbd.csi.ceph.com",
    r"^(s3|gs)://[a-z0-9][a-z0-9.-]+(/.*)?$": "an s3:// or gs:// URL of a bucket and prefix, e.g. "
    "s3://models/llama-3.1-8b-instruct/",
    r"^/[\x21-\x7e]*$": "an HTTP path starting with /, without spaces, e.g. /health",
    r"^[a-z]{2}(-[a-z]+)+-[0-9]+-[a-z0-9-]+$": "an AWS Local Zone, e.g. us-east-1-bos-1a",
    REGION_PATTERN: "a region, e.g. us-east-1 (AWS) or europe-west4 (GCP)",
    r"^tgw-([0-9a-f]{8}|[0-9a-f]{17})$": "a transit gateway id: tgw- and 8 or 17 hex digits, e.g. "
    "tgw-0a1b2c3d4e5f60718",
    r"^vgw-([0-9a-f]{8}|[0-9a-f]{17})$": "a virtual private gateway id: vgw- and 8 or 17 hex digits, e.g. "
    "vgw-0a1b2c3d4e5f60718",
}


# ---- regions and zones ------------------------------------------------------------------------------------------

_AWS_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-[0-9]+$")  # us-east-1, us-gov-west-1, eusc-de-east-1
_GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")  # europe-west4, us-central1, northamerica-northeast1
_ZONES = (
    re.compile(r"^([a-z]{2,4}(?:-[a-z]+)+-[0-9]+)[a-z]$"),  # an AWS Availability Zone: us-east-1a
    re.compile(r"^([a-z]{2,4}(?:-[a-z]+)+-[0-9]+)-[a-z]+-[0-9]+[a-z]?$"),  # an AWS Local Zone: us-east-1-bos-1a
    re.compile(r"^([a-z]+-[a-z]+[0-9]+)-[a-z]$"),  # a GCP zone: europe-west4-b
)


@dataclass(frozen=True)
class Cloud:
    name: str
    key: str
    pattern: re.Pattern[str]
    examples: str

    @property
    def a(self) -> str:
        """The name with its article: `an AWS`, `a GCP`."""
        return f"{'an' if self.name[0] in 'AEIOU' else 'a'} {self.name}"


CLOUDS = {
    "aws": Cloud("AWS", "aws:region", _AWS_REGION, "us-east-1 or eu-central-1"),
    "gcp": Cloud("GCP", "gcp:region", _GCP_REGION, "europe-west4 or us-central1"),
}


def zone_region(value: str) -> str | None:
    """The region of an AWS or GCP zone name (`us-east-1a` -> `us-east-1`), or None when it is not one."""
    for zone in _ZONES:
        found = zone.match(value)
        if found:
            return found.group(1)
    return None


def region_problem(cloud: str, value: str) -> str | None:
    """What is wrong with `value` as the region of a cloud target (`aws`, `gcp`), or None when it is a region."""
    own = CLOUDS[cloud]
    if own.pattern.match(value):
        return None
    looks_like = f"a region looks like {own.examples}"
    region = zone_region(value.strip().lower())
    if region is not None and own.pattern.match(region):
        return f"a zone, not a region; did you mean {region}?"
    fixed = value.strip().lower().replace("_", "-").replace(" ", "-")
    if fixed != value and own.pattern.match(fixed):
        return f"not a region as {own.name} writes it; did you mean {fixed}?"
    other = next((c for c in CLOUDS.values() if c is not own and c.pattern.match(value)), None)
    if other is not None:
        return f"{other.a} region name, not {own.a} one: {looks_like}"
    return f"not {own.a} region: {looks_like}"


# ---- the errors --------------------------------------------------------------------------------------------------


def is_consequence(error: ErrorDetails) -> bool:
    """Whether an error only follows from others: pydantic counts a list's items after dropping the invalid ones,
    so `sites: [<one bad site>]` also reads "at least 1 item, not 0" though the config lists one."""
    ctx = error.get("ctx") or {}
    value = error.get("input")
    least = ctx.get("min_length")
    return (
        error["type"] == "too_short" and isinstance(value, list | tuple) and least is not None and len(value) >= least
    )


def plain_message(error: ErrorDetails, model: type[BaseModel]) -> str:
    """The message for one pydantic error of `model`'s validation: what the config must say there instead."""
    loc: Loc = tuple(error["loc"])
    translate = _TRANSLATIONS.get(error["type"])
    message = translate(error, model, loc) if translate else None
    return message or _pydantic_message(error)


def _pydantic_message(error: ErrorDetails) -> str:
    return error["msg"].removeprefix("Value error, ")


def _unknown_key(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    owner = _model_in(_annotation_at(model, loc[:-1]))
    if owner is None:
        return "unknown key"
    replaced = getattr(owner, "REPLACED_KEYS", {}).get(str(loc[-1]))
    if replaced:
        return f"no longer a key here; {replaced}"
    allowed = sorted(_key(name, f) for name, f in owner.model_fields.items())
    # Either spelling is accepted (camelCase as in YAML, snake_case as in Python); suggest the camelCase one.
    spellings = {name: _key(name, f) for name, f in owner.model_fields.items()} | {k: k for k in allowed}
    close = difflib.get_close_matches(str(loc[-1]), list(spellings), n=1, cutoff=0.6)
    hint = f"did you mean {spellings[close[0]]}? " if close else ""
    return f"unknown key; {hint}allowed keys here: {', '.join(allowed)}"


def _not_a_list(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    value = error.get("input")
    if isinstance(value, dict):
        return "must be a list, not a mapping: start each item with `- `, or write [a, b]"
    if isinstance(value, str) and value.strip():
        items = [item.strip() for item in value.split(",") if item.strip()]
        return f"must be a list, e.g. [{', '.join(items)}]"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"must be a list, e.g. [{value}]"
    return "must be a list, e.g. [a, b]"


def _pattern(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    pattern = str((error.get("ctx") or {}).get("pattern", ""))
    wording = PATTERN_WORDING.get(pattern)
    if wording is None:
        return None
    value = error.get("input")
    hint = _pattern_hint(pattern, value) if isinstance(value, str) else ""
    return f"must be {wording}{hint}"


def _pattern_hint(pattern: str, value: str) -> str:
    """`; did you mean X?` when an obvious fix of the value fits the pattern (a zone's region, lower case ...)."""
    matches = re.compile(pattern).match
    region = zone_region(value.strip().lower()) if pattern == REGION_PATTERN else None
    if region is not None and matches(region):
        return f"; {value} is a zone, not a region; did you mean {region}?"
    if pattern == GCP_ZONE_PATTERN and _GCP_REGION.match(value.strip()):
        return f"; {value.strip()} is a region, not a zone: name one of its zones, e.g. {value.strip()}-b"
    if pattern == IMAGE_PATTERN and "@sha256:" not in value:
        return f"; `docker buildx imagetools inspect {value.strip()}` prints the digest it points at now"
    slug = re.sub(r"[\s_]+", "-", value.strip().lower())
    for fixed in (value.strip(), value.strip().lower(), slug):
        if fixed != value and matches(fixed):
            return f"; did you mean {fixed}?"
    return ""


def _not_text(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    """A number or a boolean where text is expected: YAML read an unquoted value as one, so say how to quote it."""
    value = error.get("input")
    write = f"{loc[-1]}: " if loc and isinstance(loc[-1], str) else "- "
    if isinstance(value, bool):
        return f'YAML reads an unquoted true, yes or on as a boolean; quote it: write {write}"{str(value).lower()}"'
    if isinstance(value, int | float):
        text = _as_written(value, _field_pattern(model, loc))
        return f'YAML reads this unquoted value as the number {value}; quote it: write {write}"{text}"'
    if isinstance(value, list | dict):
        return f"must be text, not a {'list' if isinstance(value, list) else 'mapping'}"
    return None


def _as_written(value: float, pattern: str | None) -> str:
    """The text a number was probably written as: `1.30` for 1.3 when the field wants `1.<two digits>`."""
    candidates = [str(value)] + ([f"{value:.{n}f}" for n in (1, 2, 3)] if isinstance(value, float) else [])
    if pattern:
        fits = [c for c in candidates if re.match(pattern, c)]
        if fits:
            return fits[0]
    return candidates[0]


def _not_a_network(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    value = error.get("input")
    example = "e.g. 10.0.0.0/16"
    if not isinstance(value, str):
        return f"must be an IPv4 range in CIDR notation, {example}"
    try:
        network = ipaddress.IPv4Network(value.strip(), strict=False)
    except ValueError:
        if ":" in value:
            return f"must be an IPv4 range (this is IPv6), {example}"
        return f"must be an IPv4 range in CIDR notation, <address>/<prefix length 0-32>, {example}"
    if "/" not in value:
        return f"must be an IPv4 range with its prefix length; did you mean {network.network_address}/16 or {network}?"
    return (
        f"host bits are set: {value.strip()} is an address inside {network}, not the start of a range; "
        f"did you mean {network}?"
    )


def _value_error(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    found = _field_at(model, loc)
    value = error.get("input")
    metadata = found[0].model_fields[found[1]].metadata if found else []
    choices = next((m for m in metadata if isinstance(m, OneOf)), None)
    if choices is None or not isinstance(value, int) or isinstance(value, bool):
        return None
    return f"not {choices.what}; did you mean {choices.nearest(value)}? allowed: {', '.join(map(str, choices.values))}"


def _literal(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    allowed = [str(v) for v in _literal_values(_annotation_at(model, loc))]
    if not allowed:
        return None
    value = error.get("input")
    hint = ""
    if isinstance(value, str):
        by_lower = {a.lower(): a for a in allowed}
        close = difflib.get_close_matches(value.lower().replace("_", "-"), list(by_lower), n=1, cutoff=0.6)
        hint = f"did you mean {by_lower[close[0]]}? " if close else ""
    return f"not one of the allowed values; {hint}allowed: {', '.join(allowed)}"


def _mapping(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    owner = _model_in(_annotation_at(model, loc))
    if owner is None:
        return "must be a mapping of key: value"
    keys = [_key(name, f) for name, f in owner.model_fields.items()]
    required = [_key(name, f) for name, f in owner.model_fields.items() if f.is_required()]
    needs = f" ({', '.join(required)} required)" if required else ""
    return f"must be a mapping of keys: {', '.join(keys)}{needs}"


def _bound(word: str, ctx_key: str) -> Callable[[ErrorDetails, type[BaseModel], Loc], str | None]:
    def message(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
        ctx = error.get("ctx") or {}
        if ctx_key not in ctx:
            return None
        low, high = _range_at(model, loc)
        if low is not None and high is not None:
            return f"must be {low} to {high}"
        return f"must be {word} {ctx[ctx_key]}"

    return message


def _range_at(model: type[BaseModel], loc: Loc) -> tuple[Any, Any]:
    """The inclusive bounds (ge, le) of a number field, where it declares both."""
    found = _field_at(model, loc)
    if found is None or not loc or not isinstance(loc[-1], str):
        return None, None
    constraints = found[0].model_fields[found[1]].metadata
    low = next((c.ge for c in constraints if getattr(c, "ge", None) is not None), None)
    high = next((c.le for c in constraints if getattr(c, "le", None) is not None), None)
    return low, high


def _too_short(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    least = (error.get("ctx") or {}).get("min_length")
    if least is None:
        return None
    return f"needs at least {least} item{'s' if least != 1 else ''}"


def _string_length(word: str) -> Callable[[ErrorDetails, type[BaseModel], Loc], str | None]:
    def message(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
        ctx = error.get("ctx") or {}
        limit = ctx.get("min_length", ctx.get("max_length"))
        if limit == 1 and word == "at least":
            return "must not be empty"
        return f"must be {word} {limit} characters" if limit is not None else None

    return message


Translation = Callable[[ErrorDetails, type[BaseModel], Loc], "str | None"]

_TRANSLATIONS: dict[str, Translation] = {
    "extra_forbidden": _unknown_key,
    "missing": lambda error, model, loc: "required key is missing",
    "tuple_type": _not_a_list,
    "list_type": _not_a_list,
    "string_pattern_mismatch": _pattern,
    "string_type": _not_text,
    "ip_v4_network": _not_a_network,
    "value_error": _value_error,
    "literal_error": _literal,
    "model_type": _mapping,
    "model_attributes_type": _mapping,
    "dict_type": _mapping,
    "int_parsing": lambda error, model, loc: "must be a whole number, e.g. 3",
    "int_type": lambda error, model, loc: "must be a whole number, e.g. 3",
    "int_from_float": lambda error, model, loc: "must be a whole number, e.g. 3",
    "bool_parsing": lambda error, model, loc: "must be true or false",
    "bool_type": lambda error, model, loc: "must be true or false",
    "greater_than_equal": _bound("at least", "ge"),
    "greater_than": _bound("more than", "gt"),
    "less_than_equal": _bound("at most", "le"),
    "less_than": _bound("less than", "lt"),
    "too_short": _too_short,
    "string_too_short": _string_length("at least"),
    "string_too_long": _string_length("at most"),
}


# ---- the models at a key path ------------------------------------------------------------------------------------


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _field_at(model: type[BaseModel], loc: Loc) -> tuple[type[BaseModel], str] | None:
    """The (model, field name) whose value `loc` ends in (list items: the list's field)."""
    found = _walk(model, loc)
    return found[1] if found else None


def _annotation_at(model: type[BaseModel], loc: Loc) -> Any:
    found = _walk(model, loc)
    return found[0] if found else None


def _walk(model: type[BaseModel], loc: Loc) -> tuple[Any, tuple[type[BaseModel], str] | None] | None:
    """Follow a key path through the models: the annotation it ends at, and the last model field on the way."""
    annotation: Any = model
    field: tuple[type[BaseModel], str] | None = None
    for part in loc:
        annotation = _without_none(annotation)
        if isinstance(part, int):
            items = [a for a in get_args(annotation) if a is not Ellipsis]
            if get_origin(annotation) not in (tuple, list) or not items:
                return None
            annotation = items[0]
            continue
        owner = _model_in(annotation)
        if owner is not None:
            name = next((n for n, f in owner.model_fields.items() if part in (n, f.alias)), None)
            if name is None:
                return None
            field = (owner, name)
            annotation = owner.model_fields[name].annotation
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    return annotation, field


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _literal_values(annotation: Any) -> Sequence[Any]:
    annotation = _without_none(annotation)
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return ()


def _field_pattern(model: type[BaseModel], loc: Loc) -> str | None:
    """The pattern a value at `loc` must match: its field's, or (a list item) its item type's."""
    annotation = _annotation_at(model, loc)
    found = _field_at(model, loc)
    if get_origin(annotation) is Annotated:
        constraints = [c for info in get_args(annotation)[1:] for c in getattr(info, "metadata", [info])]
    elif found is not None and loc and isinstance(loc[-1], str):
        constraints = list(found[0].model_fields[found[1]].metadata)
    else:
        return None
    patterns = [c.pattern for c in constraints if isinstance(getattr(c, "pattern", None), str)]
    return patterns[0] if patterns else None


def problems_from_validation(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, worded as what the config must say."""
    return [
        Problem(tuple(e["loc"]), MISSING if e["type"] == "missing" else e.get("input"), plain_message(e, model))
        for e in error.errors(include_url=False)
        if not is_consequence(e)
    ]
