"""stanceframe: stance and framing tags for news coverage, with a small CPU transformer.

Classify from Python with ``Classifier`` (loaded lazily, so ``import stanceframe`` does not load torch):

    >>> from stanceframe import Classifier
    >>> clf = Classifier("models/default")  # doctest: +SKIP
    >>> [row["stance"] for row in clf.predict_texts(["US poodle.", "The budget rose 2%."])]  # doctest: +SKIP
    ['critical', 'neutral']

The package: the core (labels, schema, model format, scoring, reading documents, ``Classifier``) at the top
level, ``stanceframe.training`` (train, adapt, ensemble) and ``stanceframe.inference`` (batch classification,
outputs, reports, the Ray engine) on top of it, and ``stanceframe.cli`` over both.
"""

__version__ = "0.1.0"
__all__ = ["Classifier", "__version__"]


def __getattr__(name: str):
    if name == "Classifier":
        from stanceframe.classifier import Classifier

        return Classifier
    raise AttributeError(f"module 'stanceframe' has no attribute {name!r}")
