"""Settings with bundled defaults that a company may override by a file of the same name beside its sources file.

Every settings file but the sources file works this way (quality.yml, linkage.yml, survivorship.yml,
reliability.yml, segments.yml): the defaults ship with the code, a company writes only what it changes,
mappings are merged key by key and lists are replaced, then the result is validated and any mistake is
reported with the company file's name and the bad key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from transforms.settings.errors import SettingsError
from transforms.settings.loader import load_settings_file, read_yaml, validate_settings

ModelT = TypeVar("ModelT", bound=BaseModel)


def merge_over(base: Any, over: Any) -> Any:
    """``over`` laid over ``base``: mappings merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge_over(base.get(key), value) if key in base else value
        return out
    return over


def company_file(sources_file: str | Path | None, name: str) -> Path | None:
    """The company's own ``name`` beside its sources file, when there is one."""
    if sources_file is None:
        return None
    path = Path(sources_file).expanduser().resolve().parent / name
    return path if path.is_file() else None


def load_layered(model: type[ModelT], default_file: Path, override: str | Path | None = None) -> ModelT:
    """The bundled defaults, with the company's file (if given) merged over them and validated."""
    if override is None:
        return load_settings_file(model, default_file)
    path = Path(override)
    over = read_yaml(path)
    if over is None:
        raise SettingsError(f"{path}: the file is empty")
    if not isinstance(over, dict):
        raise SettingsError(f"{path}: expected a mapping of settings at the top level")
    return validate_settings(model, merge_over(read_yaml(default_file), over), path=path)


def load_for_sources(model: type[ModelT], default_file: Path, sources_file: str | Path | None) -> tuple[ModelT, str]:
    """The settings a run uses and where they came from (the company's file, or ``bundled defaults``)."""
    found = company_file(sources_file, default_file.name)
    return load_layered(model, default_file, found), str(found) if found else "bundled defaults"
