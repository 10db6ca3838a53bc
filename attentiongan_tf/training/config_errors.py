"""Validation errors phrased in config terms (``model.ngf must be > 0, got 0``).

The library names the dotted config field; a front end that sets fields another way (the CLI's flags) renders
the same error with its own names (``--ngf must be > 0, got 0``) through :meth:`ConfigError.render`.
"""

from __future__ import annotations

from collections.abc import Callable


class ConfigError(ValueError):
    """A setting out of range, named by its config field(s).

    Args:
        fields: the dotted field the problem is about (``model.ngf``; a multi-domain config's fields are flat:
            ``ngf``), or a tuple of the fields a problem relates.
        problem: with one field, what is wrong after its name (``must be > 0, got 0``); with several, a
            ``str.format`` template that places them as ``{0}``, ``{1}``, ... (``{0} 16 must be >= {1} 32``).

    Example:
        >>> error = ConfigError("model.ngf", "must be > 0, got 0")
        >>> str(error), error.fields
        ('model.ngf must be > 0, got 0', ('model.ngf',))
        >>> error.render({"model.ngf": "--ngf"}.get)
        '--ngf must be > 0, got 0'
    """

    def __init__(self, fields: str | tuple[str, ...], problem: str) -> None:
        self.fields = (fields,) if isinstance(fields, str) else tuple(fields)
        self.problem = problem
        if len(self.fields) == 1:
            self.template = "{0} " + problem.replace("{", "{{").replace("}", "}}")
        else:
            self.template = problem
        super().__init__(self.render())

    def render(self, name_of: Callable[[str], str | None] = lambda field: None) -> str:
        """The message with each field named by ``name_of(field)`` (the field itself where that is ``None``).

        Args:
            name_of: how the caller names a field (e.g. the flag that sets it), ``None`` when it has no name.
        """
        return self.template.format(*(name_of(field) or field for field in self.fields))
