"""Read a YAML settings file into a pydantic model with errors that name the file and the key.

Pydantic's own messages name the location as a tuple; operators editing YAML by hand need
``sources[2].columns.Nazwisko`` and the file it is in, so every validation error is rewritten here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from transforms.settings.errors import SettingsError

ModelT = TypeVar("ModelT", bound=BaseModel)


def format_location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as a YAML path such as ``sources[2].columns.Nazwisko``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax problems into a SettingsError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SettingsError(f"{path}: settings file not found") from exc
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read settings file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: settings files must be UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SettingsError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc


def validate_settings(model: type[ModelT], data: Any, *, path: Path, context: dict[str, Any] | None = None) -> ModelT:
    """Validate parsed YAML, naming every bad key with its path in the file."""
    if data is None:
        raise SettingsError(f"{path}: the file is empty")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = format_location(tuple(err["loc"]))
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check its spelling)"
            lines.append(f"  - {where}: {msg}")
        raise SettingsError(f"{path}: {len(lines)} problem(s)\n" + "\n".join(lines)) from exc


def load_settings_file(model: type[ModelT], path: str | Path, *, context: dict[str, Any] | None = None) -> ModelT:
    """Load and validate one settings file."""
    p = Path(path)
    return validate_settings(model, read_yaml(p), path=p, context=context)
