"""Baselines scored on the same gold file as the model: majority class and TF-IDF + logistic regression."""

from __future__ import annotations

import warnings

import numpy as np


def multi_hot(frames: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {name: j for j, name in enumerate(labels)}
    out = np.zeros((len(frames), len(labels)), dtype=bool)
    for i, row in enumerate(frames):
        for frame in row:
            if frame in index:
                out[i, index[frame]] = True
    return out


def majority_baseline(train_rows: list[dict], n_test: int, stance_labels: list[str], frame_labels: list[str]):
    """The most common training stance for every unit; every frame carried by at least half the training units."""
    stance_ids = np.array([stance_labels.index(r["stance"]) for r in train_rows])
    majority = int(np.bincount(stance_ids, minlength=len(stance_labels)).argmax())
    prevalence = multi_hot([r["frames"] for r in train_rows], frame_labels).mean(0)
    frames = np.tile(prevalence >= 0.5, (n_test, 1))
    return np.full(n_test, majority), frames


def tfidf_logreg_baseline(train_rows: list[dict], test_texts: list[str], stance_labels: list[str],
                          frame_labels: list[str], seed: int = 0):
    """Word 1–2-gram TF-IDF with class-balanced logistic regression: softmax for stance, one-vs-rest for frames."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50000)
    x_train = vectorizer.fit_transform([r["text"] for r in train_rows])
    x_test = vectorizer.transform(test_texts)
    y_stance = np.array([stance_labels.index(r["stance"]) for r in train_rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stance = LogisticRegression(max_iter=2000, class_weight="balanced", C=5.0, random_state=seed)
        stance.fit(x_train, y_stance)
        stance_pred = stance.predict(x_test)
        y_frames = multi_hot([r["frames"] for r in train_rows], frame_labels)
        frames_pred = np.zeros((len(test_texts), len(frame_labels)), dtype=bool)
        for j in range(len(frame_labels)):
            if y_frames[:, j].all() or not y_frames[:, j].any():
                frames_pred[:, j] = y_frames[0, j] if len(y_frames) else False
                continue
            clf = LogisticRegression(max_iter=2000, class_weight="balanced", C=5.0, random_state=seed)
            clf.fit(x_train, y_frames[:, j])
            frames_pred[:, j] = clf.predict(x_test).astype(bool)
    return stance_pred, frames_pred
