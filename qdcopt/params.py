"""Typed method options: one frozen parameter class per method, checked before a solve.

Every method of a family is registered as a :class:`MethodSpec`: its function, its
parameter class (a frozen dataclass derived from :class:`MethodParams`) and a one-line
summary.  A parameter class states, for each option, its type, default, allowed range or
choices and a one-line description (:func:`option`); building one checks every value, so
a typo in an option's name or a value of the wrong type or range is refused with one
line naming the option, before any work is done.

Values come either typed (from Python) or as the command line reads them (JSON when the
text parses as JSON, else the text itself); both go through the same checks.

Long module, on purpose: the option rules, their checks, their listing and the method
registration are one contract (what the listing shows is what the check enforces and what
a typed method receives); split, they would drift.
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import NoneType, UnionType
from typing import Any, ClassVar

from qdcopt.timebase import parse_duration


class OptionError(ValueError):
    """A method option with an unknown name, or a value of the wrong type or range."""


class UnknownOptionError(OptionError):
    """An option name the method does not take."""


def option(default: Any, doc: str, *, gt: float | None = None, ge: float | None = None,
           le: float | None = None, choices: tuple[str, ...] | None = None,
           duration: bool = False) -> Any:
    """Declare one option of a parameter class.

    Parameters
    ----------
    default
        The value the method uses when the option is not given.
    doc
        One line saying what the option does.
    gt, ge, le
        Range of a number: greater than, at least, at most.
    choices
        Allowed values of a text option.
    duration
        The value is a time: seconds as a number, or a text with a unit (``"1 ns"``);
        it must be positive.
    """
    return field(default=default, metadata={"doc": doc, "gt": gt, "ge": ge, "le": le,
                                            "choices": choices, "duration": duration})


def _kinds(annotation: Any) -> tuple[set[type], bool]:
    """The value types an annotation allows, and whether ``None`` is allowed."""
    args = typing.get_args(annotation) if isinstance(annotation, UnionType) or (
        typing.get_origin(annotation) is typing.Union) else (annotation,)
    kinds = {a for a in args if a is not NoneType}
    return kinds, NoneType in args


@dataclass(frozen=True)
class _Rule:
    """What one option must satisfy (read from its dataclass field)."""

    name: str
    kinds: frozenset[type]
    nullable: bool
    default: Any
    doc: str
    gt: float | None
    ge: float | None
    le: float | None
    choices: tuple[str, ...] | None
    duration: bool

    def type_text(self) -> str:
        """The type and range as the listing shows them, e.g. ``int >= 1``."""
        if self.duration:
            text = "duration > 0"
        elif self.choices:
            text = "{" + ",".join(self.choices) + "}"
        else:
            text = " | ".join(sorted(k.__name__ for k in self.kinds))
            bounds = [f"> {_num(self.gt)}" if self.gt is not None else "",
                      f">= {_num(self.ge)}" if self.ge is not None else "",
                      f"<= {_num(self.le)}" if self.le is not None else ""]
            bounds = [b for b in bounds if b]
            if bounds:
                text += " " + ", ".join(bounds)
        return text + (" | null" if self.nullable else "")

    def check(self, value: Any) -> Any:
        """The value converted to the option's type; :class:`OptionError` if it breaks
        the rule."""
        if value is None:
            if self.nullable:
                return None
            raise self._error(value)
        if self.duration:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise self._error(value)
            try:
                parse_duration(value, allow_zero=False)
            except (ValueError, TypeError, OverflowError):
                raise self._error(value) from None
            return value
        if bool in self.kinds:
            if isinstance(value, bool):
                return value
            raise self._error(value)
        if int in self.kinds and float not in self.kinds:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._error(value)
            return self._in_range(value)
        if float in self.kinds:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error(value)
            if not math.isfinite(value):
                raise self._error(value)
            return self._in_range(float(value))
        if str in self.kinds:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise self._error(value)
            return value
        raise self._error(value)  # pragma: no cover - every declared type is handled above

    def _in_range(self, value: float) -> Any:
        if ((self.gt is not None and not value > self.gt)
                or (self.ge is not None and not value >= self.ge)
                or (self.le is not None and not value <= self.le)):
            raise self._error(value)
        return value

    def _error(self, value: Any) -> OptionError:
        if self.duration:
            want = "a positive duration (seconds, or a text with a unit such as '1 ns')"
        elif self.choices:
            want = "one of " + ", ".join(self.choices)
        elif bool in self.kinds:
            want = "true or false"
        elif int in self.kinds and float not in self.kinds:
            want = "an integer"
        else:
            want = "a finite number"
        bounds = [f"> {_num(self.gt)}" if self.gt is not None else "",
                  f">= {_num(self.ge)}" if self.ge is not None else "",
                  f"<= {_num(self.le)}" if self.le is not None else ""]
        bounds = [b for b in bounds if b]
        if bounds and not self.duration and not self.choices:
            want += " " + " and ".join(bounds)
        if self.nullable:
            want += " (or null)"
        return OptionError(f"option {self.name}: must be {want}, got {value!r}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_RULES: dict[type, dict[str, _Rule]] = {}
"""Parameter class → its rules, read once from its fields (a class does not change)."""


@dataclass(frozen=True)
class MethodParams:
    """Options every method accepts, so that one command line or comparison can pass them
    to any method; the methods that do not use one (see ``USES``) ignore it."""

    time_limit: float | None = option(
        60.0, "wall-clock seconds for the whole method (null: no limit)", gt=0)
    threads: int = option(1, "solver threads", ge=1)
    seed: int = option(0, "random seed of the solver (same seed, same run)", ge=0,
                       le=2**31 - 1)
    mip_gap: float = option(1e-6, "relative MIP gap at which a solve may stop", ge=0, le=1)
    verbose: bool = option(False, "show the solver's log")

    USES: ClassVar[tuple[str, ...]] = ()
    """The common options (those of this base class) the method honours."""

    FORWARD: ClassVar[str | None] = None
    """Name of an option naming another method (a scheduler) that takes the options this
    class does not know; ``None``: unknown options are refused."""

    NOT_FORWARDED: ClassVar[tuple[str, ...]] = ()
    """Options of the scheduler this method sets itself (refused, not forwarded)."""

    def __post_init__(self) -> None:
        for rule in self.rules().values():
            object.__setattr__(self, rule.name, rule.check(getattr(self, rule.name)))

    @classmethod
    def rules(cls) -> dict[str, _Rule]:
        """Option name → its rule, in declaration order (the method's own options first)."""
        cached = _RULES.get(cls)
        if cached is None:
            cached = _RULES[cls] = cls._read_rules()
        return dict(cached)

    @classmethod
    def _read_rules(cls) -> dict[str, _Rule]:
        """The rules read from the class's fields and their annotations."""
        hints = typing.get_type_hints(cls)
        out: dict[str, _Rule] = {}
        common = {f.name for f in fields(MethodParams)}
        ordered = [f for f in fields(cls) if f.name not in common] + [
            f for f in fields(cls) if f.name in common]
        for f in ordered:
            kinds, nullable = _kinds(hints[f.name])
            m = f.metadata
            out[f.name] = _Rule(f.name, frozenset(kinds), nullable,
                                None if f.default is MISSING else f.default, m.get("doc", ""),
                                m.get("gt"), m.get("ge"), m.get("le"), m.get("choices"),
                                bool(m.get("duration")))
        return out

    @classmethod
    def own(cls) -> tuple[str, ...]:
        """Names of the options the method declares besides the common ones."""
        common = {f.name for f in fields(MethodParams)}
        return tuple(n for n in cls.rules() if n not in common)

    @classmethod
    def shown(cls) -> tuple[str, ...]:
        """Names of the options a listing shows: the method's own and the common ones it
        uses."""
        return cls.own() + tuple(n for n in cls.rules() if n in cls.USES)

    def values(self) -> dict[str, Any]:
        """Every option's value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class MethodSpec:
    """One registered method.

    Attributes
    ----------
    name
        The method's name (``-m NAME`` on the command line).
    fn
        ``fn(instance, params) -> (plan, SolveInfo)`` when ``typed``, else
        ``fn(instance, **options) -> (plan, SolveInfo)``.  A typed method that forwards
        options to a scheduler (``params.FORWARD``) is called
        ``fn(instance, params, forwarded)``, ``forwarded`` the options given for the
        scheduler (checked, a plain mapping; the scheduler's defaults apply to the others).
    params
        Its parameter class.
    summary
        One line saying what it does.
    forward
        For methods that schedule with another method (``params.FORWARD``): a function
        returning the specs that option may name, so their options are checked too.
    typed
        Whether ``fn`` takes its parameter object rather than keyword options.
    """

    name: str
    fn: Callable[..., Any]
    params: type[MethodParams]
    summary: str
    forward: Callable[[], Mapping[str, MethodSpec]] | None = None
    typed: bool = False

    def __call__(self, instance: Any, /, **options: Any) -> Any:
        """Run the method on ``instance`` with ``options`` checked first.

        A ``typed`` method receives its parameter object, ``fn(instance, params)``: the
        defaults live in the parameter class alone; one that forwards options to a
        scheduler also receives those, ``fn(instance, params, forwarded)``.  Otherwise the
        checked options are passed as keywords and the function's own defaults apply to
        the others.
        """
        checked = self.check(options)
        if not self.typed:
            return self.fn(instance, **checked)
        rules = self.params.rules()
        params = self._build({k: v for k, v in checked.items() if k in rules})
        if self.params.FORWARD is None:
            return self.fn(instance, params)
        return self.fn(instance, params, {k: v for k, v in checked.items() if k not in rules})

    def parameters(self, options: Mapping[str, Any]) -> MethodParams:
        """The checked parameter object of ``options`` (the method's own and common ones;
        options forwarded to a scheduler are checked by :meth:`check`)."""
        return self._build({k: v for k, v in options.items() if k in self.params.rules()})

    def check(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``options`` and return them converted to their types.

        Only the options given are returned, so the method's own defaults apply to the
        others exactly as when it is called directly.

        Raises
        ------
        OptionError
            On the first unknown name (the message lists the method's options) or value
            of the wrong type or range.
        """
        rules = self.params.rules()
        own = {k: v for k, v in options.items() if k in rules}
        rest = {k: v for k, v in options.items() if k not in rules}
        params = self._build(own)
        out = {k: getattr(params, k) for k in own}
        if not rest:
            return out
        target = self._target(params)
        if target is None:
            raise self._unknown(next(iter(rest)), tuple(rules))
        known = tuple(rules) + tuple(n for n in target.params.rules()
                                     if n not in rules and n not in self.params.NOT_FORWARDED)
        for key in rest:
            if key not in target.params.rules() or key in self.params.NOT_FORWARDED:
                raise self._unknown(key, known, target)
        out.update(target.check(rest))
        return out

    def _build(self, own: Mapping[str, Any]) -> MethodParams:
        try:
            return self.params(**own)
        except OptionError as exc:
            raise OptionError(f"{exc} (method {self.name})") from None

    def _target(self, params: MethodParams) -> MethodSpec | None:
        if self.params.FORWARD is None or self.forward is None:
            return None
        return self.forward().get(getattr(params, self.params.FORWARD))

    def _unknown(self, key: str, known: tuple[str, ...],
                 target: MethodSpec | None = None) -> UnknownOptionError:
        near = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        via = f" (with {self.params.FORWARD}={target.name})" if target is not None else ""
        return UnknownOptionError(f"option {key}: method {self.name}{via} has no such option{hint} "
                           f"(known: {', '.join(known)})")


def shared_options(specs: Mapping[str, MethodSpec], common: Mapping[str, Any],
                   own: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Options for each of several methods run side by side.

    Each method gets its own options (``own[name]``, all checked) and those of ``common``
    it takes; an option of ``common`` that none of them takes is refused.

    Raises
    ------
    OptionError
        For an option no method takes, or any value of the wrong type or range.
    """
    out: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for name, spec in specs.items():
        mine = dict(own.get(name, {}))
        spec.check(mine)
        for key, value in common.items():
            if key in mine:
                continue
            try:
                spec.check({**mine, key: value})
            except UnknownOptionError:
                continue
            mine[key] = value
            taken.add(key)
        out[name] = mine
    for key in common:
        if key not in taken:
            known = sorted({n for s in specs.values() for n in s.params.rules()})
            raise UnknownOptionError(f"option {key}: none of the methods "
                                     f"{', '.join(specs)} takes it (known: {', '.join(known)})")
    return out


def describe(spec: MethodSpec) -> dict[str, Any]:
    """A method's summary and options as plain data (for ``--json`` listings)."""
    rules = spec.params.rules()
    return {"method": spec.name, "summary": spec.summary,
            "options": [{"name": n, "type": rules[n].type_text(), "default": rules[n].default,
                         "doc": rules[n].doc} for n in spec.params.shown()],
            "forwards_to": spec.params.FORWARD}


_TYPE_WIDTH = 26
"""Widest type a listing shows in its column."""


def render(specs: Mapping[str, MethodSpec], family: str) -> list[str]:
    """Text lines listing every method of a family with its options, types and defaults."""
    common = list(MethodParams.rules().values())
    rows = {name: [spec.params.rules()[n] for n in spec.params.shown()]
            for name, spec in specs.items()}
    every = common + [r for rules in rows.values() for r in rules]

    def kind(r: _Rule) -> str:  # long lists of choices go after the description
        return "str" if r.choices and len(r.type_text()) > _TYPE_WIDTH else r.type_text()

    wide = (max(len(r.name) for r in every), max(len(kind(r)) for r in every),
            max(len(_default(r.default)) for r in every))

    def row(r: _Rule) -> str:
        doc = r.doc if kind(r) == r.type_text() else f"{r.doc}: {', '.join(r.choices or ())}"
        return (f"      {r.name:<{wide[0]}}  {kind(r):<{wide[1]}}  "
                f"{_default(r.default):<{wide[2]}}  {doc}")

    lines = [f"{family} methods"]
    for name, spec in specs.items():
        lines += ["", f"  {name}: {spec.summary}", *map(row, rows[name])]
        if spec.params.FORWARD is not None:
            lines.append(f"      (other options go to the method named by "
                         f"{spec.params.FORWARD})")
    lines += ["", "  every method also accepts (and the heuristics ignore):", *map(row, common)]
    return lines


def _default(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_typed(name: str, value: Any, annotation: Any) -> Any:
    """``value`` checked against a type annotation and converted to it.

    For options that are no method's (a simulation's settings), read from the command line
    as JSON or text: ``bool``, ``int``, ``float`` (a text such as ``inf`` is read as a
    number; NaN is refused), ``str``, tuples of those and their unions with ``None``.

    Parameters
    ----------
    name
        The option's name, for the message.
    value
        Its value.
    annotation
        The type it must have, e.g. ``bool``, ``float | None``, ``tuple[float, float]``.

    Returns
    -------
    Any
        The value, converted (a list becomes a tuple, an integer a float where a float is
        wanted).

    Raises
    ------
    OptionError
        Naming the option, the type it must have and the value given.
    """
    ok, converted = _convert(value, annotation)
    if ok:
        return converted
    raise OptionError(f"option {name}: must be {_want(annotation)}, got {value!r}")


def _convert(value: Any, annotation: Any) -> tuple[bool, Any]:
    if isinstance(annotation, str):  # an unresolved annotation: nothing to check against
        return True, value
    args = typing.get_args(annotation)
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        for arm in args:
            ok, converted = _convert(value, arm)
            if ok:
                return True, converted
        return False, None
    if annotation is NoneType or annotation is None:
        return value is None, None
    if typing.get_origin(annotation) is tuple:
        if not isinstance(value, (list, tuple)):
            return False, None
        arms = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(arms) != len(value):
            return False, None
        out = []
        for item, arm in zip(value, arms, strict=True):
            ok, converted = _convert(item, arm)
            if not ok:
                return False, None
            out.append(converted)
        return True, tuple(out)
    if annotation is bool:
        return isinstance(value, bool), value
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if annotation is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return False, None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            return False, None
        return True, float(value)
    if annotation is str:
        return isinstance(value, str), value
    return True, value  # a type this check does not know: the receiver checks it


def _want(annotation: Any) -> str:
    args = typing.get_args(annotation)
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        arms = [_want(a) for a in args if a is not NoneType]
        text = " or ".join(arms)
        return text + (" (or null)" if NoneType in args else "")
    if typing.get_origin(annotation) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_want(args[0]).removeprefix('a ').removeprefix('an ')}s"
        return f"a list of {len(args)} values ({', '.join(_want(a) for a in args)})"
    return {bool: "true or false", int: "an integer", float: "a number",
            str: "a text"}.get(annotation, getattr(annotation, "__name__", str(annotation)))
