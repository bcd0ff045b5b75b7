"""What the footstep guide analysis decided: each step it kept, each transient it rejected, why.

Why in core: the Studio shows the isolated footstep guide with its rejected transients and
their reasons, and the project file keeps them, so the decision is data the faces read,
not something they recompute. `analysis.step_fusion` makes it; `jobs` stores it in the
Project (`guide_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GuideReport", "GuideStep", "RejectedTransient", "STEP_SOURCES"]

# where a kept step came from: heard in the guide where the picture shows a foot landing,
# seen only (no audible transient), heard only (confident, where the picture shows no contact)
STEP_SOURCES = ("audio+picture", "picture", "audio")


@dataclass
class GuideStep:
    """One footstep the guide analysis kept."""

    time: float  # s: where the step starts
    confidence: float  # 0..1
    source: str = "audio+picture"

    def to_dict(self) -> dict:
        return {"time": round(float(self.time), 5), "confidence": round(float(self.confidence), 3),
                "source": self.source}


@dataclass
class RejectedTransient:
    """A transient of the guide that is not a footstep, with the reason shown to the user."""

    time: float
    strength: float  # its rise in dB above what came before
    reason: str

    def to_dict(self) -> dict:
        return {"time": round(float(self.time), 5), "strength": round(float(self.strength), 2), "reason": self.reason}


@dataclass
class GuideReport:
    """The footstep guide's steps and rejected transients, and a message for the user (e.g.
    'the guide track holds no footsteps: the steps come from the picture')."""

    steps: list[GuideStep] = field(default_factory=list)
    rejected: list[RejectedTransient] = field(default_factory=list)
    message: str = ""
    has_footsteps: bool = True

    def step_times(self) -> list[float]:
        return [s.time for s in self.steps]

    def to_dict(self) -> dict:
        return {"steps": [s.to_dict() for s in self.steps], "rejected": [r.to_dict() for r in self.rejected],
                "message": self.message, "has_footsteps": self.has_footsteps}

    @classmethod
    def from_dict(cls, d: dict) -> "GuideReport":
        return cls([GuideStep(float(s["time"]), float(s.get("confidence", 1.0)), str(s.get("source", "audio+picture")))
                    for s in d.get("steps", [])],
                   [RejectedTransient(float(r["time"]), float(r.get("strength", 0.0)), str(r.get("reason", "")))
                    for r in d.get("rejected", [])],
                   str(d.get("message", "")), bool(d.get("has_footsteps", True)))
