"""PretrainedConfig and AutoConfig with transformers 4.51's API over the engine's config."""
from __future__ import annotations

import json
import os
from typing import Any, Dict

from . import _core


class PretrainedConfig:
    """A model configuration: attributes read and written like transformers' (aliases such as GPT-2's
    hidden_size -> n_embd resolved by the engine)."""

    def __init__(self, core: "_core.Config"):
        object.__setattr__(self, "_core", core)

    @property
    def model_type(self) -> str:
        return self._core.model_type

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if not self._core.has(name):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return self._core.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._core.set(name, value)

    def __contains__(self, name: str) -> bool:
        return self._core.has(name)

    def to_dict(self) -> Dict[str, Any]:
        return self._core.to_dict()

    def to_diff_dict(self) -> Dict[str, Any]:
        return self._core.to_diff_dict()

    def to_json_string(self, use_diff: bool = True) -> str:
        return self._core.to_json_string(use_diff)

    def save_pretrained(self, save_directory: str | os.PathLike, push_to_hub: bool = False, **kwargs: Any) -> None:
        self._core.save_pretrained(os.fspath(save_directory))
        if push_to_hub:
            repo_id = kwargs.pop("repo_id", os.path.basename(os.path.normpath(save_directory)))
            self.push_to_hub(repo_id, **kwargs)

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> str:
        kwargs.pop("use_temp_dir", None)
        return self._core.push_to_hub(repo_id, kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretrainedConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__} {json.dumps(self.to_dict(), indent=2, sort_keys=True)}"


class AutoConfig:
    """AutoConfig.from_pretrained(path_or_repo_id, revision=..., **config_overrides)."""

    def __init__(self) -> None:
        raise EnvironmentError("AutoConfig is designed to be instantiated using `AutoConfig.from_pretrained(...)`.")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any) -> PretrainedConfig:
        return PretrainedConfig(_core.Config.from_pretrained(os.fspath(pretrained_model_name_or_path), kwargs))

    @classmethod
    def for_model(cls, model_type: str, *args: Any, **kwargs: Any) -> PretrainedConfig:
        return PretrainedConfig(_core.Config.for_model(model_type, kwargs))
