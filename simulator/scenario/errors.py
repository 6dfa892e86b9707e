"""Error formatting: pydantic validation errors turned into one line per problem."""

from __future__ import annotations

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


def _describe(err: dict) -> str:
    kind, ctx, val = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (not part of the scenario format)"
    if kind == "missing":
        return "is required"
    if kind in ("greater_than_equal", "greater_than"):
        if kind == "greater_than":
            return f"{val!r} must be above {ctx.get('gt')}"
        return f"{val!r} is below {ctx.get('ge')}"
    if kind == "less_than":
        return f"{val!r} must be below {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"{val!r} is above {ctx.get('le')}"
    if kind == "union_tag_invalid":
        return (f"unknown distribution {ctx.get('tag')!r} (allowed: uniform, triangular, "
                f"pert, normal, lognormal, beta)")
    if kind == "union_tag_not_found":
        return "a distribution table needs dist = \"...\""
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']} (got {val!r})"


def _problems(exc: ValidationError) -> list[str]:
    seen: dict[str, list[str]] = {}
    for err in exc.errors():
        path = _loc(err["loc"])
        msg = _describe(err)
        if err["type"] == "value_error" and _JOIN in msg:
            for line in msg.split(_JOIN):
                seen.setdefault(line, [])
            continue
        # A number-or-distribution field fails both union branches; keep the useful one.
        line = f"{path}: {msg}" if path else msg
        seen.setdefault(line, [])
    lines = list(seen)
    # Drop "float expected" noise when a more specific message exists for the same path.
    specific = {ln.split(":")[0] for ln in lines if "Input should be a valid number" not in ln}
    return [ln for ln in lines
            if not ("Input should be a valid number" in ln and ln.split(":")[0] in specific
                    and sum(1 for o in lines if o.split(":")[0] == ln.split(":")[0]) > 1)]
