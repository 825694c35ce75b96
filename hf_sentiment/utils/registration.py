"""Register a model folder's classes with the Auto classes, the same way for every method."""

from __future__ import annotations

from transformers import AutoConfig, PreTrainedConfig, PreTrainedModel


def register_model(config_class: type[PreTrainedConfig], model_class: type[PreTrainedModel], auto_class: type) -> None:
    """Make `config_class` / `model_class` loadable through `AutoConfig` and `auto_class`.

    Two registrations, each for its own reader: `register_for_auto_class` makes `save_pretrained`
    (Trainer checkpoints and `push_to_hub` included) write the code and an `auto_map` into the saved
    folder, for `trust_remote_code=True` where hf_sentiment is not installed; `AutoConfig.register` /
    `auto_class.register` let an installed hf_sentiment load such a folder with neither.

    Args:
        config_class (`type[PreTrainedConfig]`):
            The folder's configuration class (its `model_type` is the key).
        model_class (`type[PreTrainedModel]`):
            The folder's model class.
        auto_class (`type`):
            The Auto class that serves it, e.g. `AutoModelForSequenceClassification`.
    """
    config_class.register_for_auto_class()
    model_class.register_for_auto_class(auto_class.__name__)
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    auto_class.register(config_class, model_class, exist_ok=True)


__all__ = ["register_model"]
