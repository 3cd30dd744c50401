"""Goldens for what save_pretrained writes after a dtype change (issue 29 item 13).

transformers 4.51.3: from_pretrained(fixture, torch_dtype=float16 / bfloat16).save_pretrained(dir)
for each model fixture; the written config.json and generation_config.json are copied as they are
to tests/data/saves/<model_type>_<dtype>/. The fixtures' configs carry a 5.x "dtype" key, which 4.51
keeps as an unknown attribute next to the torch_dtype it writes.

Run: /work/venv/bin/python tests/oracle/make_save_goldens.py
"""
import os
import shutil
import tempfile

import torch
import transformers
from transformers import AutoConfig

assert transformers.__version__ == "4.51.3", transformers.__version__

FIX = os.path.join(os.path.dirname(__file__), "../../../shared/fixtures/hf/models")
OUT = os.path.join(os.path.dirname(__file__), "../data/saves")


def main():
    for model_type in ("bert", "gpt2", "llama"):
        src = os.path.join(FIX, model_type, "model")
        cls = getattr(transformers, AutoConfig.from_pretrained(src).architectures[0])
        for name, dtype in (("float16", torch.float16), ("bfloat16", torch.bfloat16)):
            model = cls.from_pretrained(src, torch_dtype=dtype)
            tmp = tempfile.mkdtemp()
            try:
                model.save_pretrained(tmp)
                dst = os.path.join(OUT, f"{model_type}_{name}")
                os.makedirs(dst, exist_ok=True)
                for f in ("config.json", "generation_config.json"):
                    if os.path.exists(os.path.join(tmp, f)):
                        shutil.copy(os.path.join(tmp, f), os.path.join(dst, f))
            finally:
                shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
