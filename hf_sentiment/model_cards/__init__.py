"""Model cards filled with what is true of one trained model, and the one function that writes a
shareable folder (and pushes exactly that folder to the Hub).

One Jinja template per model kind (`templates/{fckt,softmcl,lcl,distilled}.md`), each extending
`templates/base.md`: the kind says what the model is, its intended use, limitations, how to load
it with and without hf-sentiment, and the method's citation; the run supplies the base model, the
datasets with their licences, the hyper-parameters and the evaluation results it computed, which
also go into the YAML metadata as a `model-index` that `huggingface_hub.ModelCard` parses.

Example:

```python
>>> from hf_sentiment.model_cards import CardResult, build_model_card, save_for_hub
>>> card = build_model_card(
...     "lcl", model_name="minilm-lcl-tweeteval", base_model="sentence-transformers/all-MiniLM-L6-v2",
...     datasets={"tweeteval/emotion": "research use (TweetEval terms)"},
...     hyperparameters={"learning_rate": 5e-5, "epochs": 3},
...     results=[CardResult("text-classification", "tweeteval_emotion", "test", "f1", 0.78, "macro-F1")])
>>> save_for_hub("runs/lcl", model, tokenizer, card)                       # local folder
>>> save_for_hub("runs/lcl", model, tokenizer, card, repo_id="me/minilm-lcl")  # the same folder, uploaded
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import transformers
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from huggingface_hub.utils import HFValidationError, validate_repo_id

from .hyperparameters import config_hyperparameters, hyperparameter_values

TEMPLATES = Path(__file__).with_name("templates")

#: Per kind: pipeline tag, Hub tags, the paper it implements, and whether the Hub's widget can run
#: it (`inference`: FCKT needs its own pipeline, and a SoftMCL folder is a pre-training model). The method's own hyper-parameters
#: (recorded in the card beside the training arguments) are read from the model's config class
#: (`hyperparameters.config_hyperparameters`), not listed here.
KINDS: dict[str, dict[str, Any]] = {
    "fckt": {"pipeline_tag": "token-classification", "tags": ["targeted-sentiment", "absa", "fckt"], "inference": False,
             "method": "FCKT", "paper": "Chen et al., IJCAI 2025, arXiv:2505.21040"},
    "softmcl": {"pipeline_tag": "fill-mask", "tags": ["sentiment", "pretraining", "softmcl"], "inference": False,
                "method": "SoftMCL-style pre-training", "paper": "Wang, Yu & Zhang, LREC-COLING 2024, arXiv:2405.01827"},
    "lcl": {"pipeline_tag": "text-classification", "tags": ["emotion", "sentiment", "label-aware-contrastive-loss"],
            "inference": True, "method": "label-aware contrastive loss", "paper": "Suresh & Ong, EMNLP 2021, arXiv:2109.05427"},
    "distilled": {"pipeline_tag": "text-generation", "tags": ["sentiment", "distillation", "peft", "lora", "sentibench"],
                  "inference": True, "method": "targeted distillation (KnowDist + ICLDist)",
                  "paper": "Zhang et al., EMNLP 2025, arXiv:2503.03225"},
}  # fmt: skip

#: The licence or terms of the data our commands train on, as `../shared/data/SOURCES.md` records them.
DATASET_TERMS: dict[str, str] = {
    "sst2": "SST (Socher et al., 2013): no explicit licence; research data",
    "sst5": "SST (Socher et al., 2013): no explicit licence; research data",
    "goemotions": "Apache-2.0",
    "tweeteval_emotion": "TweetEval: the underlying SemEval task's terms and Twitter's terms apply",
    "empathetic_dialogues": "CC BY-NC 4.0: non-commercial use only",
    "semeval14": "SemEval-2014 Task 4: distributed by the organisers for research use; treat as non-commercial",
    "sentibench": "research use; each underlying set keeps its own terms",
    "emobank": "EmoBank: CC BY-SA 4.0",
    "vader": "VADER lexicon: MIT",
    "warriner": "Warriner et al. (2013) norms: CC BY-NC-ND 3.0",
}


#: A card whose licence is `other` names it so and links to its own "Training data" section.
OTHER_LICENSE_NAME = "training-data-terms"
OTHER_LICENSE_LINK = "README.md#training-data"


@dataclass(frozen=True)
class CardResult:
    """One evaluation number of the run, as the `model-index` records it.

    Args:
        task_type (`str`): Hub task id, e.g. `"text-classification"`.
        dataset_name (`str`): the dataset as the card names it.
        dataset_split (`str`): e.g. `"test"`.
        metric_type (`str`): e.g. `"f1"`, `"accuracy"`, `"pearsonr"`.
        value (`float`): the number, as computed.
        metric_name (`str`, *optional*): a readable name, e.g. `"joint F1"`.
    """

    task_type: str
    dataset_name: str
    dataset_split: str
    metric_type: str
    value: float
    metric_name: str | None = None

    def to_eval_result(self) -> EvalResult:
        return EvalResult(
            task_type=self.task_type, dataset_type=self.dataset_name, dataset_name=self.dataset_name,
            dataset_split=self.dataset_split, metric_type=self.metric_type, metric_value=float(self.value),
            metric_name=self.metric_name,
        )  # fmt: skip


def build_model_card(
    kind: str,
    *,
    model_name: str,
    base_model: str | None,
    datasets: dict[str, str],
    hyperparameters: dict[str, Any],
    results: list[CardResult],
    repo_id: str | None = None,
    license: str = "other",
    data_note: str = "",
    evaluation_note: str = "",
    extra_limitations: str = "",
) -> ModelCard:
    """The filled card of one model.

    Args:
        kind (`str`): `"fckt"`, `"softmcl"`, `"lcl"` or `"distilled"`.
        model_name (`str`): the name the card and its `model-index` use.
        base_model (`str`, *optional*): the model it started from (a Hub id or a description),
            `None` if none.
        datasets (`dict[str, str]`): dataset name -> its licence or terms, as the run saw it.
        hyperparameters (`dict[str, Any]`): what the run used (learning rate, epochs, the method's
            settings, ...).
        results (`list[CardResult]`): the evaluation numbers the run computed.
        repo_id (`str`, *optional*): where the loading snippets point (default: `model_name`).
        license (`str`, *optional*, defaults to `"other"`): the card's licence field; `"other"`
            because the training data's terms (research-only for several sets) bind the weights,
            with `license_name` `OTHER_LICENSE_NAME` and `license_link` to the card's "Training data"
            section, which lists them.
        data_note (`str`, *optional*): a sentence on the data, shown under the datasets.
        evaluation_note (`str`, *optional*): appended to the results' "Computed by the run that trained
            this model" sentence.
        extra_limitations (`str`, *optional*): limitations of this run beyond the kind's own.

    Returns:
        `huggingface_hub.ModelCard`: the rendered card.

    Raises:
        ValueError: `kind` is not one of `KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {sorted(KINDS)}.")
    from ..version import __version__

    meta = KINDS[kind]
    hub_base = base_model if base_model and is_hub_id(base_model) else None
    # The Hub reads `datasets` as dataset repo ids: local names stay in the card's text only.
    hub_datasets = [name for name in datasets if is_hub_id(name)]
    other = {"license_name": OTHER_LICENSE_NAME, "license_link": OTHER_LICENSE_LINK} if license == "other" else {}
    card_data = ModelCardData(
        model_name=model_name, base_model=hub_base,
        datasets=hub_datasets or None, license=license, **other,
        library_name="peft" if kind == "distilled" else "transformers",
        pipeline_tag=meta["pipeline_tag"], tags=["hf-sentiment", *meta["tags"]],
        eval_results=[r.to_eval_result() for r in results] or None,
        **({} if meta["inference"] else {"inference": False}),
    )  # fmt: skip
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    content = environment.get_template(f"{kind}.md").render(
        card_data=card_data.to_yaml(), model_name=model_name, repo_id=repo_id or model_name,
        base_model=base_model, datasets=datasets, hyperparameters=hyperparameters,
        results=[r.to_eval_result() for r in results], method=meta["method"], paper=meta["paper"],
        library_version=__version__, transformers_version=transformers.__version__,
        data_note=data_note, evaluation_note=evaluation_note, extra_limitations=extra_limitations,
    )  # fmt: skip
    return ModelCard(content)


def is_hub_id(name: str) -> bool:
    """Whether `name` reads as a Hub repo id (`owner/name`) rather than a local folder."""
    if Path(name).exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def dataset_terms(name_or_path: str | Path) -> str:
    """`DATASET_TERMS` of the first known dataset named in `name_or_path` (a name or a file under
    the shared data folder, e.g. `.../semeval14/...`); otherwise a note that the run cannot tell."""
    for part in Path(name_or_path).parts:  # the outermost named folder decides: sentibench/sst2/...
        if part.lower() in DATASET_TERMS:
            return DATASET_TERMS[part.lower()]
    return "not known to hf-sentiment: check the terms of its source"


def model_kind(model: Any) -> str:
    """Which card template fits `model`: its config's `model_type` for our models, `"distilled"`
    for a PEFT-wrapped causal LM (the distillation student)."""
    if hasattr(model, "peft_config"):
        return "distilled"
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type in KINDS:
        return model_type
    raise ValueError(
        f"no hf-sentiment model card for a {type(model).__name__} (model_type {model_type!r}); "
        f"cards exist for {sorted(KINDS)}."
    )


def training_hyperparameters(args: transformers.TrainingArguments, model: Any) -> dict[str, Any]:
    """What a card records of a run: the Trainer's schedule plus the method's own settings (the
    hyper-parameters of the model's config class, `hyperparameter_values`; LoRA rank, alpha and
    target modules for a PEFT student; any label-KD weight in the arguments).

    Args:
        args (`transformers.TrainingArguments`): the run's arguments.
        model (`PreTrainedModel` or `PeftModel`): the trained model.

    Returns:
        `dict[str, Any]`: name -> value, in the order the card lists them.
    """
    schedule = {"max_steps": args.max_steps} if args.max_steps > 0 else {"num_train_epochs": args.num_train_epochs}
    recorded: dict[str, Any] = {
        "learning_rate": args.learning_rate,
        **schedule,
        "per_device_train_batch_size": args.per_device_train_batch_size,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
        "processes": args.world_size,
        "warmup_steps": args.warmup_steps,
        "weight_decay": args.weight_decay,
        "lr_scheduler_type": str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)),
        "seed": args.seed,
    }
    kind = model_kind(model)
    if kind != "distilled":
        recorded.update(hyperparameter_values(model.config))
    else:
        adapter = next(iter(model.peft_config.values()))
        recorded.update({"peft_type": str(getattr(adapter.peft_type, "value", adapter.peft_type))})
        for key in ("r", "lora_alpha", "lora_dropout", "target_modules"):
            if getattr(adapter, key, None) is not None:
                value = getattr(adapter, key)
                recorded[f"lora_{key}" if key == "r" else key] = sorted(value) if isinstance(value, set) else value
        for key in ("label_kd_weight", "label_kd_temperature", "max_length"):
            if hasattr(args, key):
                recorded[key] = getattr(args, key)
    return recorded


def results_from_metrics(
    metrics: Mapping[str, float],
    names: Mapping[str, tuple[str, str]],
    *,
    task_type: str,
    dataset_name: str,
    dataset_split: str,
    prefix: str,
) -> list[CardResult]:
    """`CardResult`s for the metrics named in `names` (metric key without `prefix` -> (Hub metric
    type, readable name)) that `metrics` holds under `prefix`, e.g. `"test_"` or `"eval_"`."""
    return [
        CardResult(task_type, dataset_name, dataset_split, metric_type, float(metrics[prefix + key]), readable)
        for key, (metric_type, readable) in names.items()
        if prefix + key in metrics
    ]


def exported_card(source: str | Path, note: str) -> ModelCard | None:
    """The card of a plain checkpoint exported from the folder `source`, or `None` if `source` has
    no hf-sentiment card (none at all, or e.g. the placeholder card PEFT writes beside an adapter).

    It is `source`'s card (the run, its data and results are the export's too), relabelled as a
    plain `transformers` checkpoint and opened by `note`: what the export holds and how to load it,
    since the card's own loading snippets are the training folder's.
    """
    path = Path(source) / "README.md"
    if not path.is_file():
        return None
    card = ModelCard.load(path)
    if "hf-sentiment" not in (card.data.tags or ()):
        return None
    card.data.library_name = "transformers"
    # What marks an adapter: the library tag and the Hub's `base_model:adapter:<id>` relation.
    card.data.tags = [
        tag for tag in card.data.tags if tag != "peft" and not tag.startswith("base_model:adapter:")
    ] or None
    lines = card.text.splitlines(keepends=True)
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    lines.insert(title + 1, f"\n{note.strip()}\n\n")
    return ModelCard(f"---\n{card.data.to_yaml()}\n---\n{''.join(lines)}")


def save_for_hub(
    folder: str | Path,
    model: Any,
    tokenizer: Any = None,
    card: ModelCard | None = None,
    *,
    repo_id: str | None = None,
    private: bool | None = None,
    token: str | None = None,
    commit_message: str = "Upload with hf-sentiment",
) -> Path:
    """Write `model` (`save_pretrained`: weights, config, its code and `auto_map` for our custom
    models), `tokenizer` and `card` (`README.md`) into `folder`; with `repo_id`, upload exactly
    that folder to the Hub as one commit. Returns the folder."""
    folder = Path(folder)
    model.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    if card is not None:
        card.save(folder / "README.md")
    if repo_id is not None:
        api = HfApi(token=token)
        api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(folder_path=folder, repo_id=repo_id, commit_message=commit_message)
    return folder


__all__ = [
    "OTHER_LICENSE_LINK",
    "OTHER_LICENSE_NAME",
    "DATASET_TERMS",
    "KINDS",
    "CardResult",
    "build_model_card",
    "config_hyperparameters",
    "dataset_terms",
    "exported_card",
    "hyperparameter_values",
    "is_hub_id",
    "model_kind",
    "results_from_metrics",
    "save_for_hub",
    "training_hyperparameters",
]
