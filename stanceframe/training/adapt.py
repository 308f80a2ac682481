"""`stanceframe adapt`: teach the fast model (student) a user's corpus with a bigger model's (teacher's) soft labels.

1. Read and segment the corpus as `classify` does; draw a seeded random sample of units (reservoir sampling,
   so the corpus is streamed, never held in memory).
2. The teacher scores the sample: soft stance and frame probabilities, appended to a JSON Lines cache as they
   are made. A killed run resumes from the cache; units already scored are not scored again.
3. The student continues training on its labelled units plus the teacher-scored sample (soft-target loss,
   see ``train.losses``); thresholds are re-tuned on dev and the result is saved as an ordinary model
   directory whose card records the corpus, the sample and the teacher.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from stanceframe.ensemble import ENSEMBLE_NAME, is_ensemble, read_members
from stanceframe.errors import ModelDirError, StanceframeError
from stanceframe.inputs import describe_error, iter_inputs
from stanceframe.jsonl import fsync_append, iter_json_objects
from stanceframe.modeling import (
    TRAINING_ARGS_NAME,
    WEIGHTS_NAME,
    check_output_dir,
    load_model,
    read_model_json,
    recorded_data_file,
)
from stanceframe.provenance import provenance
from stanceframe.schema import LabelSchema
from stanceframe.training.config import AdaptConfig
from stanceframe.training.trainer import Targets, finish, fit, load_labelled, make_batch_loss, set_seed

CACHE_SUFFIX = ".teacher-cache.jsonl"  # default cache: beside the output directory, not inside it
CACHE_CHUNK = 64                       # units scored between two cache appends


def sample_units(paths: list[str], size: int, seed: int, documents: bool = False, text_column: str = "text"):
    """A seeded uniform sample of ``size`` units of the corpus (all units when ``size`` is 0), by reservoir
    sampling over the stream, in corpus order; and the corpus counts (units read, inputs skipped by reason)."""
    rng = random.Random(seed)
    reservoir: list[tuple[int, dict]] = []
    seen, skipped = 0, Counter()
    for item in iter_inputs(paths, documents=documents, text_column=text_column):
        if "error" in item:
            skipped[item["error"]] += 1
            print(f"skipped: {describe_error(item)}", file=sys.stderr)
            continue
        if not size or len(reservoir) < size:
            reservoir.append((seen, item))
        else:
            j = rng.randrange(seen + 1)
            if j < size:
                reservoir[j] = (seen, item)
        seen += 1
    if not seen:
        raise StanceframeError(f"no units to adapt to in {', '.join(map(str, paths))}")
    return [unit for _, unit in sorted(reservoir, key=lambda pair: pair[0])], {"units": seen, "skipped": dict(skipped)}


def unit_key(unit: dict) -> str:
    """Cache key of a unit: its kind and text (the teacher sees nothing else)."""
    return hashlib.sha1(f"{unit.get('kind') or 'paragraph'}\0{unit['text']}".encode()).hexdigest()


def teacher_weights(model_dir: Path) -> list[Path]:
    """The files that make a teacher's scores: its weights, or an ensemble's description and members' weights."""
    if is_ensemble(model_dir):
        return [model_dir / ENSEMBLE_NAME] + [member / WEIGHTS_NAME for member, _ in read_members(model_dir)]
    return [model_dir / WEIGHTS_NAME]


def teacher_fingerprint(model_dir: Path, precision: str) -> str:
    digest = hashlib.sha256(precision.encode())
    for path in teacher_weights(model_dir):
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def read_cache(path: Path, header: dict) -> dict[str, tuple[list[float], list[float]]]:
    """Scores already in the cache. A cache made by another teacher (or labels) is an error; a torn last line
    (a run killed mid-write) is dropped and the file rewritten without it."""
    if not path.exists():
        fsync_append(path, [json.dumps(header) + "\n"])
        return {}
    scores, torn = {}, False
    with open(path, encoding="utf-8") as handle:
        for lineno, obj in iter_json_objects(handle):
            if isinstance(obj, str):
                torn = True
                continue
            if lineno == 1:
                if obj != header:
                    raise StanceframeError(f"{path}:1: this teacher cache was made by another teacher or for other "
                                           f"labels ({obj.get('teacher')}); delete it or pass another --cache")
                continue
            scores[obj["key"]] = (obj["stance"], obj["frames"])
    if torn:
        tmp = path.with_name(path.name + ".tmp")
        lines = [json.dumps(header) + "\n"] + [json.dumps({"key": k, "stance": s, "frames": f}) + "\n"
                                                for k, (s, f) in scores.items()]
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.replace(path)
    return scores


def score_with_cache(teacher, units: list[dict], cache_path: str | Path, progress: bool = True):
    """Teacher stance (n × S) and frame (n × F) probabilities of ``units``, taken from the cache where present;
    the rest are scored in chunks and appended. Returns the two arrays and the seconds spent scoring."""
    cache_path = Path(cache_path)
    header = {"teacher": str(teacher.model_dir.resolve()), "fingerprint": teacher_fingerprint(teacher.model_dir,
              teacher.precision), "stance_labels": teacher.stance_labels, "frame_labels": teacher.frame_labels}
    cache = read_cache(cache_path, header)
    keys = [unit_key(u) for u in units]
    from_cache = sum(key in cache for key in keys)
    todo = list({key: u for key, u in zip(keys, units) if key not in cache}.items())
    started = time.perf_counter()
    with tqdm(total=len(todo), desc="teacher", unit=" units", disable=not progress or not todo, file=sys.stderr) as bar:
        for start in range(0, len(todo), CACHE_CHUNK):
            chunk = todo[start:start + CACHE_CHUNK]
            rows = teacher.predict([unit for _, unit in chunk])
            lines = []
            for (key, _), row in zip(chunk, rows):
                stance = [row["stance_scores"][name] for name in teacher.stance_labels]
                frames = [row["frame_scores"][name] for name in teacher.frame_labels]
                cache[key] = (stance, frames)
                lines.append(json.dumps({"key": key, "stance": stance, "frames": frames}) + "\n")
            fsync_append(cache_path, lines)
            bar.update(len(chunk))
    seconds = time.perf_counter() - started
    stance = np.array([cache[key][0] for key in keys], dtype=np.float32)
    frames = np.array([cache[key][1] for key in keys], dtype=np.float32)
    return stance, frames, {"scored": len(todo), "from_cache": from_cache, "seconds": seconds}


def student_files(config: AdaptConfig, student_args: dict) -> dict[str, str]:
    """The labelled files: the config's, else the ones the student was trained on."""
    files = {}
    for split in ("train", "dev", "test"):
        given = getattr(config, f"{split}_file")
        if given == "none" and split == "test":
            continue
        found = (given if Path(given).is_file() else None) if given else recorded_data_file(student_args, split)
        if found:
            files[split] = found
        elif given or split != "test" or student_args.get("test_file"):
            wanted = given or student_args.get(f"{split}_file")
            raise StanceframeError(f"the {split} file {wanted!r} is not here; pass --{split}-file")
    return files


def open_teacher(config: AdaptConfig):
    from stanceframe.classifier import Classifier

    teacher_dir = Path(config.teacher)
    if not ((teacher_dir / WEIGHTS_NAME).is_file() or is_ensemble(teacher_dir)):
        hint = " (train it with 'make train-accurate')" if teacher_dir.name == "accurate" else ""
        raise ModelDirError(f"teacher model {teacher_dir} not found{hint}; pass --teacher DIR, a trained "
                            "stanceframe model directory")
    return Classifier(teacher_dir, precision=config.teacher_precision)


def adapt(paths: list[str], config: AdaptConfig, documents: bool = False, text_column: str = "text",
          log=print) -> dict:
    """Adapt ``config.student`` to the corpus at ``paths``; writes ``config.output_dir``. Returns metrics."""
    started = time.time()
    check_output_dir(config.output_dir, [*paths, config.teacher, config.student, config.schema, config.dev_file,
                                         config.test_file])
    set_seed(config.seed)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    teacher = open_teacher(config)
    model, tokenizer, _, schema = load_model(config.student)
    student_args = read_model_json(config.student, TRAINING_ARGS_NAME)
    if config.schema:
        wanted = LabelSchema.load(config.schema)
        if (wanted.stance_names, wanted.frame_names) != (schema.stance_names, schema.frame_names):
            raise StanceframeError(f"{config.schema}: other labels than the student {config.student} was trained on")
    if (teacher.stance_labels, teacher.frame_labels) != (schema.stance_names, schema.frame_names):
        raise ModelDirError(f"teacher {config.teacher} and student {config.student} were trained on different labels")
    max_length = int(student_args.get("max_length", 256))
    files = student_files(config, student_args)
    splits, counts = load_labelled(files, schema, log=log)

    sample, corpus = sample_units(paths, config.sample, config.seed, documents, text_column)
    log(f"corpus: {corpus['units']} units ({sum(corpus['skipped'].values())} inputs skipped); "
        f"the teacher scores a sample of {len(sample)}")
    cache = Path(config.cache) if config.cache else Path(str(Path(config.output_dir)) + CACHE_SUFFIX)
    soft_stance, soft_frames, teacher_run = score_with_cache(teacher, sample, cache, config.progress)
    keep = soft_stance.max(axis=1) >= config.confidence_floor
    log(f"teacher: {teacher_run['scored']} units scored, {teacher_run['from_cache']} from {cache}; "
        f"{int(keep.sum())} above the confidence floor {config.confidence_floor}")
    teacher_precision = teacher.precision
    del teacher

    gold = Targets.gold(splits["train"], schema)
    n_soft = int(keep.sum())
    targets = Targets(
        stance=np.concatenate([gold.stance, np.full(n_soft, -1)]),
        frames=np.concatenate([gold.frames, np.zeros((n_soft, len(schema.frame_names)), np.float32)]),
        soft_stance=np.concatenate([np.zeros((len(gold.stance), len(schema.stance_names)), np.float32), soft_stance[keep]]),
        soft_frames=np.concatenate([np.zeros_like(gold.frames), soft_frames[keep]]))
    units = splits["train"] + [unit for unit, k in zip(sample, keep) if k]
    batch_loss = make_batch_loss(targets, schema, config, config.soft_weight, config.temperature)
    metrics = fit(model, tokenizer, units, batch_loss, splits["dev"], schema, config, max_length, log)
    metrics["train_seconds"] = time.time() - started
    metrics["adapt"] = {"corpus": [str(p) for p in paths], "corpus_units": corpus["units"],
                        "corpus_skipped": corpus["skipped"], "sample": len(sample), "kept": n_soft,
                        "teacher": str(config.teacher), "teacher_scored": teacher_run["scored"],
                        "teacher_seconds_per_1000": (1000 * teacher_run["seconds"] / teacher_run["scored"]
                                                     if teacher_run["scored"] else None)}
    inherited = {k: student_args[k] for k in ("base_model", "pooling", "kind_prefix", "head_dropout") if k in student_args}
    settings = inherited | config.to_dict() | {"max_length": max_length,
                                               **{f"{split}_file": f for split, f in files.items()},
                                               "provenance": provenance({"schema": config.schema or None, **files})}
    teacher_base = read_model_json(config.teacher, TRAINING_ARGS_NAME).get("base_model", "?")
    card_extra = {
        "Adapted from (student)": f"`{config.student}`",
        "Teacher": f"`{config.teacher}` (base `{teacher_base}`, {teacher_precision})",
        "Corpus": ", ".join(f"`{p}`" for p in paths) + f" ({corpus['units']} units)",
        "Teacher-scored sample": f"{len(sample)} units (seed {config.seed}), {n_soft} kept at confidence floor "
                                 f"{config.confidence_floor}",
        "Soft-target loss": f"weight {config.soft_weight}, temperature {config.temperature}",
    }
    return finish(model, tokenizer, splits, schema, settings, metrics, counts, config.output_dir, max_length,
                  config.eval_max_tokens, card_extra=card_extra, log=log)

