"""Label Studio: tasks JSON with a labelling config, and Label Studio's JSON export back to annotated units.

Export writes ``F`` (a JSON list of tasks) and ``F``'s stem + ``.label_config.xml`` beside it: a ``Text`` named
``text`` and two ``Choices`` over it, ``stance`` (``choice="single"``) and ``frames`` (``choice="multiple"``),
with the schema's labels in schema order (paste it into the project's Labeling Interface, Code view). Each
task's ``data`` holds ``text`` and our ``unit_id``, ``doc_id``, ``kind``, ``author``; the units' stance and
frames go into ``predictions`` (pre-annotations, shown for review) or, with ``labels="annotations"``, into
``annotations``. Results are ``{"from_name", "to_name": "text", "type": "choices", "value": {"choices": [...]}}``.

Import reads the project's JSON export (a list of tasks with ``annotations[].result[]``) and takes, per task, the
latest annotation not cancelled (``was_cancelled``), by ``updated_at``/``created_at``. Tasks without one are
left out and counted. Results of other controls (a comment box, say) are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

from stanceframe.annotation.exchange import Problems, unit_from, unit_meta
from stanceframe.errors import LabelFileError
from stanceframe.schema import LabelSchema

TEXT = "text"
STANCE = "stance"
FRAMES = "frames"
MODEL_VERSION = "stanceframe"


def config_path(out: Path) -> Path:
    return out.with_name(out.stem + ".label_config.xml")


def label_config(schema: LabelSchema) -> str:
    """The labelling config: the unit's text, one stance (single choice), any frames (multiple choice)."""
    def choices(name: str, mode: str, labels) -> list[str]:
        lines = [f'  <Choices name="{name}" toName="{TEXT}" choice="{mode}">']
        lines += [f"    <Choice value={quoteattr(x.name)} hint={quoteattr(x.definition)}/>" for x in labels]
        return [*lines, "  </Choices>"]

    lines = ["<View>", f'  <Text name="{TEXT}" value="${TEXT}"/>', '  <Header value="Stance (one)"/>']
    lines += choices(STANCE, "single", schema.stance)
    lines += ['  <Header value="Frames (any number)"/>', *choices(FRAMES, "multiple", schema.frames), "</View>"]
    return "\n".join(lines) + "\n"


def result_items(stance: str | None, frames: list[str] | None) -> list[dict]:
    items = []
    if stance is not None:
        items.append({"from_name": STANCE, "to_name": TEXT, "type": "choices", "value": {"choices": [stance]}})
    if frames:
        items.append({"from_name": FRAMES, "to_name": TEXT, "type": "choices", "value": {"choices": list(frames)}})
    return items


def task_of(unit: dict, labels: str) -> dict:
    task = {"data": {TEXT: unit["text"], **unit_meta(unit)}}
    items = result_items(unit.get("stance"), unit.get("frames"))
    if not items:
        return task
    if labels == "annotations":
        if unit.get("stance") is not None:
            task["annotations"] = [{"result": items, "was_cancelled": False, "ground_truth": False}]
        return task
    prediction = {"model_version": MODEL_VERSION, "result": items}
    scores = unit.get("stance_scores")
    if isinstance(scores, dict) and unit.get("stance") in scores:
        prediction["score"] = float(scores[unit["stance"]])
    task["predictions"] = [prediction]
    return task


def write_tasks(units: list[dict], out: Path, schema: LabelSchema, labels: str) -> dict:
    tasks = [task_of(unit, labels) for unit in units]
    out.write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    config = config_path(out)
    config.write_text(label_config(schema), encoding="utf-8")
    return {"units": len(tasks), "files": [str(out), str(config)]}


def latest_annotation(task: dict) -> dict | None:
    kept = [(i, a) for i, a in enumerate(task.get("annotations") or [])
            if isinstance(a, dict) and not a.get("was_cancelled")]
    if not kept:
        return None
    return max(kept, key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""), ia[0]))[1]


def read_tasks(path: Path, schema: LabelSchema) -> tuple[list[dict], list[LabelFileError], int]:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise LabelFileError(path, f"cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabelFileError(path, f"not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise LabelFileError(path, "not a Label Studio JSON export (expected a list of tasks)")
    problems, units, unlabelled = Problems(path), [], 0
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            problems.add(f"task {number}", "no 'data' object")
            continue
        where = f"task {number} (id {task.get('id', '?')})"
        annotation = latest_annotation(task)
        if annotation is None:
            unlabelled += 1
            continue
        stance, frames = None, []
        for item in annotation.get("result") or []:
            if not isinstance(item, dict) or item.get("type") != "choices":
                continue
            chosen = (item.get("value") or {}).get("choices")
            if not isinstance(chosen, list):
                problems.add(where, f"result {item.get('from_name')!r} has no list of choices")
                continue
            if item.get("from_name") == STANCE:
                if len(chosen) != 1:
                    problems.add(where, f"expected one stance, found {len(chosen)}")
                    continue
                stance = chosen[0]
            elif item.get("from_name") == FRAMES:
                known = set(schema.frame_names)
                frames = [f for f in schema.frame_names if f in chosen] + [f for f in chosen if f not in known]
        if stance is None:
            problems.add(where, "the annotation has no stance")
            continue
        unit = unit_from(data, data.get(TEXT), stance, frames, task.get("id"), "label-studio")
        if problems.check(unit, schema, where):
            units.append({**unit, "_item": number})
    return units, problems.errors, unlabelled
