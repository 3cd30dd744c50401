"""Goldens for the tokenizer save_pretrained (issue 18 item 12).

transformers 4.51.3: each fixture tokenizer (shared/fixtures/hf/tokenizers/*) loaded and saved again
with save_pretrained; tokenizer_config.json and special_tokens_map.json are copied as written to
tests/data/tokenizers/saved/<name>/, and tokenizer.json too when it differs from the fixture's (for
the current fixtures it never does: the script checks and the test compares with the fixture). AutoTokenizer picks BertTokenizerFast for the bert
fixture; the others name the 5.x class "TokenizersBackend", which 4.51 does not know, so they are
loaded with PreTrainedTokenizerFast (what they are in 4.51).

Run: /work/venv/bin/python tests/oracle/make_tokenizer_save_goldens.py
"""
import filecmp
import os
import shutil
import tempfile

import transformers
from transformers import AutoTokenizer, PreTrainedTokenizerFast
from transformers.utils import logging

assert transformers.__version__ == "4.51.3", transformers.__version__
logging.set_verbosity_error()

FIX = os.path.join(os.path.dirname(__file__), "../../../shared/fixtures/hf/tokenizers")
OUT = os.path.join(os.path.dirname(__file__), "../data/tokenizers/saved")
FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def main():
    for name in sorted(os.listdir(FIX)):
        src = os.path.join(FIX, name)
        if not os.path.isdir(src):
            continue
        try:
            tok = AutoTokenizer.from_pretrained(src)
        except ValueError:
            tok = PreTrainedTokenizerFast.from_pretrained(src)
        tmp = tempfile.mkdtemp()
        try:
            tok.save_pretrained(tmp)
            dst = os.path.join(OUT, name)
            os.makedirs(dst, exist_ok=True)
            for f in FILES:
                written = os.path.join(tmp, f)
                if f == "tokenizer.json" and filecmp.cmp(written, os.path.join(src, f), shallow=False):
                    print(f"{name}: tokenizer.json written as loaded")
                    continue
                shutil.copy(written, os.path.join(dst, f))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
