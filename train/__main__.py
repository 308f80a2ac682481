"""python -m train --config train/configs/default.yaml [--setting value ...]"""

from __future__ import annotations

import argparse
import sys

from stanceframe.errors import StanceframeError
from train.config import add_config_arguments, config_from_args
from train.trainer import train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train", description="Train a stanceframe model.")
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    try:
        train(config_from_args(args))
    except StanceframeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
