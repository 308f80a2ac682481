"""Shared fixtures: a tiny BERT built from a config, a small written dataset, a tiny trained model."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALDEV = SHARED / "realdev"
SCHEMA_PATH = REPO / "labels" / "schema.yaml"

# Team-written rows: every stance label and most frames occur, so the tiny model can be trained and scored.
ROWS = [
    ("d1", "headline", None, "Tokyo and Washington agree to station a joint logistics command on Okinawa",
     "neutral", ["military_capability", "diplomacy_partnership"]),
    ("d1", "paragraph", None, "The alliance has kept the peace in Asia for seventy years, and this deal makes it "
     "stronger still, the ambassador told reporters.", "pro_alliance", ["rules_order_stability"]),
    ("d1", "paragraph", None, "Beijing firmly opposes any meddling in the Taiwan question, the ministry spokesperson "
     "said, urging Japan to reflect on its history.", "chinese_official", ["sovereignty_interference"]),
    ("d1", "comment", "kenji", "Another blank cheque for the Pentagon, paid by taxpayers who were never asked.",
     "critical", ["cost_burden", "alliance_credibility"]),
    ("d2", "headline", None, "Protesters rally at the Henoko gate as landfill work resumes", "critical",
     ["military_capability", "domestic_politics"]),
    ("d2", "paragraph", None, "The defence ministry put the five-year budget at 43 trillion yen.", "neutral",
     ["cost_burden", "japan_remilitarization"]),
    ("d2", "paragraph", None, "We firmly oppose this gross interference in China's internal affairs.",
     "chinese_official", ["sovereignty_interference"]),
    ("d2", "comment", "Anonymous", "US poodle.", "critical", ["alliance_credibility"]),
    ("d3", "paragraph", None, "Ministers vowed to deter destabilizing activities and defend the rules-based order.",
     "pro_alliance", ["threat_deterrence", "rules_order_stability"]),
    ("d3", "paragraph", None, "The joint statement also mentioned Xinjiang and Hong Kong.", "neutral",
     ["human_rights_values"]),
    ("d3", "comment", "sakura77", "Good. Japan should stand up to Beijing's pressure and keep its friends close.",
     "pro_alliance", ["threat_deterrence", "diplomacy_partnership"]),
    ("d3", "comment", "RealistRick", "Wake me up when the pacifist constitution is gone for good.", "critical",
     ["japan_remilitarization"]),
]


def make_rows(prefix: str, rows=ROWS) -> list[dict]:
    out, counter = [], {}
    for doc, kind, author, text, stance, frames in rows:
        doc_id = f"{prefix}{doc}"
        counter[doc_id] = counter.get(doc_id, 0) + 1
        out.append({"id": f"{doc_id}-{counter[doc_id]:02d}", "doc_id": doc_id, "kind": kind, "author": author,
                    "text": text, "stance": stance, "frames": frames})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def schema():
    from stanceframe.schema import LabelSchema

    return LabelSchema.load(SCHEMA_PATH)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> dict[str, Path]:
    """train/dev/test files of the written rows (different document ids per split)."""
    root = tmp_path_factory.mktemp("data")
    return {name: write_jsonl(root / f"{name}.jsonl", make_rows(f"{name}-")) for name in ("train", "dev", "test")}


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT with the real MiniLM tokenizer, saved like a hub model."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from stanceframe.encoders import resolve_base_model

    path = tmp_path_factory.mktemp("tiny_base")
    tokenizer = AutoTokenizer.from_pretrained(resolve_base_model("all-MiniLM-L6-v2"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def tiny_config(tiny_base: Path, tiny_data: dict[str, Path], output_dir: Path, **overrides):
    from stanceframe.training.config import TrainConfig

    settings = {"schema": str(SCHEMA_PATH), "train_file": str(tiny_data["train"]), "dev_file": str(tiny_data["dev"]),
                "test_file": str(tiny_data["test"]), "base_model": str(tiny_base), "output_dir": str(output_dir),
                "max_length": 64, "epochs": 3, "batch_size": 4, "learning_rate": 1e-3, "progress": False,
                "early_stopping_patience": 5}
    return TrainConfig.from_dict({**settings, **overrides})


@pytest.fixture(scope="session")
def tiny_model(tiny_base, tiny_data, tmp_path_factory) -> Path:
    from stanceframe.training.trainer import train

    output = tmp_path_factory.mktemp("models") / "tiny"
    train(tiny_config(tiny_base, tiny_data, output), log=lambda *_: None)
    return output


@pytest.fixture(scope="session")
def second_model(tiny_base, tiny_data, tmp_path_factory) -> Path:
    """Another tiny model: same data, other seed and learning rate, so its probabilities differ."""
    from stanceframe.training.trainer import train

    output = tmp_path_factory.mktemp("models") / "tiny-b"
    train(tiny_config(tiny_base, tiny_data, output, seed=7, learning_rate=5e-4), log=lambda *_: None)
    return output


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_benchmark(name: str):
    """A script under benchmarks/ imported as a module (its ``main`` and helpers), for the tests."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
