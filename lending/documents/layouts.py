"""Label layouts as data: one TOML file per layout, shipped in `labels/` or dropped into LENDING_LABELS_DIR."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lending.core.errors import dotted_path

log = logging.getLogger("lending.labels")

_PACKAGE = Path(__file__).resolve().parent.parent
PAGES_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}


def shipped_labels_dir() -> Path:
    # Installed wheel: inside the package. Source checkout: the top-level folder.
    packaged = _PACKAGE / "labels"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "labels"


# Further out than this a printer is not slightly off: the wrong layout was chosen. The same bound holds for the
# offsets a centre saves (lending/documents/models.py).
MAX_OFFSET_MM = 20


class Calibration(BaseModel):
    """Everything on the page moved by this much to suit a printer: x to the right, y down."""

    model_config = ConfigDict(extra="forbid")
    x_mm: float = Field(0.0, ge=-MAX_OFFSET_MM, le=MAX_OFFSET_MM)
    y_mm: float = Field(0.0, ge=-MAX_OFFSET_MM, le=MAX_OFFSET_MM)


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    name: str = Field(min_length=1)
    description: str = ""
    page: Literal["A4", "Letter"] | None = None
    page_width_mm: float | None = Field(None, gt=0, le=1000)
    page_height_mm: float | None = Field(None, gt=0, le=1000)
    label_width_mm: float = Field(gt=5, le=500)
    label_height_mm: float = Field(gt=5, le=500)
    columns: int = Field(ge=1, le=20)
    rows: int = Field(ge=1, le=50)
    left_margin_mm: float = Field(ge=0)
    top_margin_mm: float = Field(ge=0)
    horizontal_pitch_mm: float = Field(gt=0)
    vertical_pitch_mm: float = Field(gt=0)
    corner_radius_mm: float = Field(0.0, ge=0, le=10)
    calibration: Calibration = Calibration()

    @model_validator(mode="after")
    def _fits(self) -> Layout:
        if self.page is None and (self.page_width_mm is None or self.page_height_mm is None):
            raise ValueError("give page (A4 or Letter) or both page_width_mm and page_height_mm")
        if self.horizontal_pitch_mm < self.label_width_mm - 0.01:
            raise ValueError("horizontal_pitch_mm is smaller than label_width_mm: labels would overlap")
        if self.vertical_pitch_mm < self.label_height_mm - 0.01:
            raise ValueError("vertical_pitch_mm is smaller than label_height_mm: labels would overlap")
        width, height = self.page_size_mm
        right = self.left_margin_mm + (self.columns - 1) * self.horizontal_pitch_mm + self.label_width_mm
        bottom = self.top_margin_mm + (self.rows - 1) * self.vertical_pitch_mm + self.label_height_mm
        if right > width + 0.01 or bottom > height + 0.01:
            raise ValueError(
                f"the labels ({right:.1f} × {bottom:.1f} mm) do not fit on the page ({width:.1f} × {height:.1f} mm)"
            )
        return self

    @property
    def page_size_mm(self) -> tuple[float, float]:
        if self.page is not None:
            return PAGES_MM[self.page]
        assert self.page_width_mm is not None and self.page_height_mm is not None
        return self.page_width_mm, self.page_height_mm

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def load_layouts(extra_dir: Path | None = None) -> tuple[dict[str, Layout], list[str]]:
    """Every layout that loads, and a line for each file that does not (name and field)."""
    layouts: dict[str, Layout] = {}
    problems: list[str] = []
    for directory in [shipped_labels_dir(), extra_dir]:
        if directory is None:
            continue
        if not directory.is_dir():
            problems.append(f"{directory}: not a directory")
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                layout = Layout.model_validate({**data, "id": path.stem})
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{path.name}: not valid TOML ({exc})")
                continue
            except ValidationError as exc:
                for error in exc.errors():
                    field = dotted_path(tuple(error["loc"])) or "(layout)"
                    problems.append(f"{path.name}: {field}: {error['msg'].removeprefix('Value error, ')}")
                continue
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{path.name}: cannot be read ({exc})")
                continue
            layouts[layout.id] = layout
    for problem in problems:
        log.error("label layout left out: %s", problem)
    return layouts, problems
