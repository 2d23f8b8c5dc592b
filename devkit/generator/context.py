"""What every file writer needs: where to write, the population, the truth sink, the seed and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devkit.generator.config import GenerationSettings
from devkit.generator.people import Population
from devkit.generator.truth import TruthSink


@dataclass(frozen=True)
class WriteContext:
    """Shared by the writers so each takes only what is specific to its file."""

    out_dir: Path
    pop: Population
    sink: TruthSink
    seed: int
    settings: GenerationSettings
