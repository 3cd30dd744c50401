"""The output class each model class's forward returns in transformers 4.51 (its return annotation)
and every such class's fields in order, for python/tests/test_outputs.py:

  /work/venv/bin/python tests/oracle/python_output_classes.py CLASS... > tests/data/python/output_classes_hf451.json
(CLASS: the engine's registered model classes, transformers_cpp._core.registered_model_classes()).
"""
import dataclasses
import json
import sys
import typing

import transformers
from transformers.utils import ModelOutput

assert transformers.__version__ == "4.51.3", transformers.__version__

classes, fields = {}, {}
for name in sys.argv[1:]:
    hints = typing.get_type_hints(getattr(transformers, name).forward)
    ret = hints["return"]
    out = [t for t in (typing.get_args(ret) or (ret,)) if isinstance(t, type) and issubclass(t, ModelOutput)]
    assert len(out) == 1, (name, hints["return"])
    classes[name] = out[0].__name__
    fields[out[0].__name__] = [f.name for f in dataclasses.fields(out[0])]
json.dump({"transformers_version": transformers.__version__, "classes": classes, "fields": fields}, sys.stdout,
          indent=1, sort_keys=True)
print()
