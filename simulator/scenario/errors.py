"""Error formatting: pydantic validation errors turned into one line per problem."""

from __future__ import annotations

import re

from pydantic import ValidationError


class ScenarioError(ValueError):
    """A scenario (file, dict or override) failed validation; ``problems`` lists each line."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(problems) if len(problems) == 1 else
                         head + f"{len(problems)} problems:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------- distributions
_JOIN = "\n"


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("uniform", "triangular", "pert", "normal", "lognormal", "beta",
                      "float", "function-after[_within_range(), float]"):
            continue  # union branch tags, not part of the user's path
        elif part.startswith(("function-", "tagged-union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


#: Bound errors: the comparison and the context key naming the bound (for NaN values).
_BOUND_WORDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
                "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}


def _describe(err: dict) -> str:
    kind, ctx, val = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (not part of the scenario format)"
    if kind == "missing":
        return "is required"
    if kind in _BOUND_WORDS and isinstance(val, float) and val != val:
        op, key = _BOUND_WORDS[kind]
        return f"nan is not a number (allowed: {op} {ctx.get(key)})"
    if kind in ("greater_than_equal", "greater_than"):
        if kind == "greater_than":
            return f"{_short(val)} must be above {ctx.get('gt')}"
        return f"{_short(val)} is below {ctx.get('ge')}"
    if kind == "less_than":
        return f"{_short(val)} must be below {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"{_short(val)} is above {ctx.get('le')}"
    if kind == "union_tag_invalid":
        return (f"unknown distribution {ctx.get('tag')!r} (allowed: uniform, triangular, "
                f"pert, normal, lognormal, beta)")
    if kind == "union_tag_not_found":
        return "a distribution table needs dist = \"...\""
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "model_attributes_type":  # the distribution branch of number-or-table
        return f"{_short(val)} is neither a number nor a distribution table"
    if kind == "model_type":
        return f"{_short(val)} is not a table"
    if kind == "finite_number":
        return f"{_short(val)} is not a finite number"
    if kind == "too_long":
        n, hi = ctx.get("actual_length"), ctx.get("max_length")
        return f"has {n} entries; at most {hi} allowed (allowed range 0 to {hi})"
    return f"{err['msg']} (got {_short(val)})"


def _short(val) -> str:
    """repr of a value, cut to a readable length (a whole table is not one line's worth)."""
    text = repr(val)
    return text if len(text) <= 60 else text[:57] + "..."


#: Error kinds whose message should name the field's allowed range.
_RANGE_KINDS = {"finite_number", "int_parsing", "int_parsing_size", "int_from_float", "int_type",
                "float_parsing", "float_type"}


def _with_range(path: str, kind: str, msg: str) -> str:
    """A non-number's or non-finite value's message with the field's allowed range added."""
    if ("not a finite number" not in msg and kind not in _RANGE_KINDS) or "allowed" in msg:
        return msg
    from .fields import allowed_range

    r = allowed_range(path)
    return msg if r is None else f"{msg} (allowed range [{r[0]:g}, {r[1]:g}])"


_FIELD_LINE = re.compile(r"^[A-Za-z_][\w]*(\[\d+\])?(\.[A-Za-z_][\w]*(\[\d+\])?)*: ")


def _located(path: str, line: str) -> str:
    """One line of a table's multi-problem check, under the table's own path: a nested
    table (a gate, a cohort) reports ``gates[0].on_fail: ...``, not ``on_fail: ...``."""
    if not path or line.startswith(path):
        return line
    return f"{path}.{line}" if _FIELD_LINE.match(line) else f"{path}: {line}"


def _problems(exc: ValidationError) -> list[str]:
    seen: dict[str, list[str]] = {}
    for err in exc.errors():
        path = _loc(err["loc"])
        msg = _with_range(path, err["type"], _describe(err))
        if err["type"] == "value_error" and _JOIN in msg:
            for line in msg.split(_JOIN):
                seen.setdefault(_located(path, line), [])
            continue
        # A number-or-distribution field fails both union branches; keep the useful one.
        line = f"{path}: {msg}" if path else msg
        seen.setdefault(line, [])
    lines = list(seen)
    # Drop "float expected" noise when a more specific message exists for the same path.
    noise = "Input should be a valid number"
    # A number-or-table field given neither: the table branch's line says it all.
    lines = [ln for ln in lines if not (noise in ln and any(
        o.split(":")[0] == ln.split(":")[0] and "neither a number nor" in o for o in lines))]
    specific = [ln.split(":")[0] for ln in lines if noise not in ln]

    def explained(path: str) -> bool:
        return any(p == path or p.startswith((path + ".", path + "[")) for p in specific)

    return [ln for ln in lines if not (noise in ln and explained(ln.split(":")[0]))]
