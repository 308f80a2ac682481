"""stanceframe metrics as a local ``evaluate`` module, loaded by path (no hub needed):

    import evaluate
    stance = evaluate.load("stanceframe/metrics/stanceframe_metrics.py", "single_label")
    stance.compute(predictions=[0, 1], references=[0, 0], labels=["a", "b"])
    frames = evaluate.load("stanceframe/metrics/stanceframe_metrics.py", "multi_label")
    frames.compute(predictions=[[1, 0]], references=[[1, 1]], labels=["x", "y"])
"""

import datasets
import evaluate

from stanceframe.scoring import multi_label_scores, single_label_scores

_DESCRIPTION = """Single-label: accuracy, macro-F1, per-label precision/recall/F1/support and the
confusion matrix (rows gold, columns predicted). Multi-label: micro-F1, macro-F1 and per-label
precision/recall/F1/support over multi-hot vectors. Macro averages run over labels that occur in
the gold data or the predictions."""

_KWARGS = """
Args:
    predictions: label ids (single_label) or multi-hot lists (multi_label).
    references: the same shape as predictions.
    labels: label names in id order.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class StanceframeMetrics(evaluate.Metric):
    def _info(self):
        if self.config_name == "multi_label":
            features = datasets.Features({"predictions": datasets.Sequence(datasets.Value("int32")),
                                          "references": datasets.Sequence(datasets.Value("int32"))})
        else:
            features = datasets.Features({"predictions": datasets.Value("int32"),
                                          "references": datasets.Value("int32")})
        return evaluate.MetricInfo(description=_DESCRIPTION, citation="", inputs_description=_KWARGS,
                                   features=features)

    def _compute(self, predictions, references, labels=None):
        if self.config_name == "multi_label":
            width = len(labels) if labels else (len(references[0]) if references else 0)
            return multi_label_scores(references, predictions, labels or [str(i) for i in range(width)])
        if labels is None:
            labels = [str(i) for i in range(max(list(predictions) + list(references) + [0]) + 1)]
        return single_label_scores(references, predictions, labels)
