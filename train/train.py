"""Train a stanceframe model: python train/train.py --config train/configs/default.yaml [--setting value ...]

The script form of `stanceframe train` (nanoGPT style): every setting of the YAML file can be overridden on the
command line (`--epochs 6 --seed 1`); `python train/train.py --help` lists them. The configs beside this script
(train/configs/) are the presets: default (MiniLM), accurate (mpnet), accurate_ensemble and adapt.
"""

from __future__ import annotations

import argparse
import sys

from stanceframe.errors import StanceframeError
from stanceframe.training.config import add_config_arguments, add_resume_argument, config_from_args
from stanceframe.training.trainer import train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python train/train.py", description="Train a stanceframe model.")
    add_config_arguments(parser)
    add_resume_argument(parser)
    args = parser.parse_args(argv)
    try:
        train(config_from_args(args), resume=args.resume)
    except StanceframeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
