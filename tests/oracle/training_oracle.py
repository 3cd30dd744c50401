"""What the training oracles (make_optim_cases.py, make_checkpointing_cases.py, make_cls_cases.py,
make_train_cli_case.py) share: the 4.51 check and their --fixtures / --out arguments."""
import argparse
import os

import transformers

assert transformers.__version__.startswith("4.51"), transformers.__version__


def arguments():
    """--fixtures (default ../shared/fixtures beside the repository) and --out (tests/data/training)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "../../../shared/fixtures"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../data/training"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    return a
