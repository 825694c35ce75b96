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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import transformers
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData

TEMPLATES = Path(__file__).with_name("templates")

#: Per kind: pipeline tag, Hub tags and the paper it implements.
KINDS: dict[str, dict[str, Any]] = {
    "fckt": {"pipeline_tag": "token-classification", "tags": ["targeted-sentiment", "absa", "fckt"],
             "method": "FCKT", "paper": "Chen et al., IJCAI 2025, arXiv:2505.21040"},
    "softmcl": {"pipeline_tag": "fill-mask", "tags": ["sentiment", "pretraining", "softmcl"],
                "method": "SoftMCL-style pre-training", "paper": "Wang, Yu & Zhang, LREC-COLING 2024, arXiv:2405.01827"},
    "lcl": {"pipeline_tag": "text-classification", "tags": ["emotion", "sentiment", "label-aware-contrastive-loss"],
            "method": "label-aware contrastive loss", "paper": "Suresh & Ong, EMNLP 2021, arXiv:2109.05427"},
    "distilled": {"pipeline_tag": "text-generation", "tags": ["sentiment", "distillation", "peft", "lora", "sentibench"],
                  "method": "targeted distillation (KnowDist + ICLDist)", "paper": "Zhang et al., EMNLP 2025, arXiv:2503.03225"},
}  # fmt: skip


@dataclass(frozen=True)
class CardResult:
    """One evaluation number of the run, as the `model-index` records it.

    Args:
        task_type: Hub task id, e.g. `"text-classification"`.
        dataset_name: the dataset as the card names it.
        dataset_split: e.g. `"test"`.
        metric_type: e.g. `"f1"`, `"accuracy"`, `"pearsonr"`.
        value: the number, as computed.
        metric_name: a readable name, e.g. `"joint F1"`.
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
        kind: `"fckt"`, `"softmcl"`, `"lcl"` or `"distilled"`.
        model_name: the name the card and its `model-index` use.
        base_model: the model it started from (a Hub id or a description), `None` if none.
        datasets: dataset name -> its licence or terms, as the run saw it.
        hyperparameters: what the run used (learning rate, epochs, the method's settings, ...).
        results: the evaluation numbers the run computed.
        repo_id: where the loading snippets point (default: `model_name`).
        license: the card's licence field; `"other"` by default because the training data's
            terms (research-only for several sets) bind the weights.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {sorted(KINDS)}.")
    from .. import __version__

    meta = KINDS[kind]
    card_data = ModelCardData(
        model_name=model_name, base_model=base_model if base_model and "/" in base_model else None,
        datasets=list(datasets) or None, license=license, library_name="transformers",
        pipeline_tag=meta["pipeline_tag"], tags=["hf-sentiment", *meta["tags"]],
        eval_results=[r.to_eval_result() for r in results] or None,
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


__all__ = ["KINDS", "CardResult", "build_model_card", "save_for_hub"]
