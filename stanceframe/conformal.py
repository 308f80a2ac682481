"""Stance prediction sets with a stated coverage: split-conformal classification (crepes).

Non-conformity is the hinge score 1 − p(true stance) of the (calibrated) stance probabilities of a gold set — the
model's dev split by default, the user's own gold units with ``--calibration-data``. ``crepes`` turns the scores into
a threshold; a unit's set holds every stance whose score is within it. Over units like the gold set, the set holds
the true stance with probability at least the asked coverage. Units like the gold set: calibrating on team-written
dev gives sets that are too small for real text (see the README); the user's own gold units are what makes the
coverage hold on their material.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class StanceSets:
    """A fitted conformal classifier over the stance labels."""

    classifier: object          # crepes.ConformalClassifier, fitted on the gold set's hinge scores
    labels: list[str]
    coverage: float
    source: str                 # the gold set it was calibrated on
    n: int

    @classmethod
    def fit(cls, stance_p: np.ndarray, stance_y, labels: list[str], coverage: float, source: str) -> StanceSets:
        from crepes import ConformalClassifier
        from crepes.extras import hinge

        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be between 0 and 1 (got {coverage})")
        if len(stance_y) == 0:
            raise ValueError(f"{source}: no gold units to calibrate the prediction sets on")
        classifier = ConformalClassifier()
        classifier.fit(hinge(np.asarray(stance_p, dtype=np.float64), np.arange(len(labels)), np.asarray(stance_y)))
        return cls(classifier, labels, coverage, source, len(stance_y))

    def membership(self, stance_p: np.ndarray) -> np.ndarray:
        """(n × S) 0/1 matrix: which stances are in each unit's set."""
        from crepes.extras import hinge

        # no smoothing: crepes' smoothed p-values draw a random number per unit, so the same unit could get another
        # set in another run (or chunk); unsmoothed sets are the same every time, and cover at least as often
        return self.classifier.predict_set(hinge(np.asarray(stance_p, dtype=np.float64)), confidence=self.coverage,
                                           smoothing=False)

    def sets(self, stance_p: np.ndarray) -> list[list[str]]:
        """Each unit's set, most probable stance first (empty when no stance conforms at this coverage)."""
        member = self.membership(stance_p)
        out = []
        for row_p, row_in in zip(np.asarray(stance_p), member):
            order = np.argsort(-row_p)
            out.append([self.labels[j] for j in order if row_in[j]])
        return out


def set_coverage(member: np.ndarray, stance_y) -> tuple[float, float]:
    """Share of units whose set holds the true stance, and the mean set size."""
    member = np.asarray(member)
    stance_y = np.asarray(stance_y)
    return float(member[np.arange(len(stance_y)), stance_y].mean()), float(member.sum(axis=1).mean())
