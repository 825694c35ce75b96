"""End-to-end evaluation of a targeted-sentiment model on character-level gold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from datasets import Dataset
from transformers import Trainer

from ..utils.logging import get_logger
from .targeted_sentiment_metrics import gold_rows, predicted_rows, targeted_sentiment_scores

logger = get_logger(__name__)


def evaluate_targeted_sentiment(
    classifier: Any,
    dataset: Dataset,
    labels: set[str] | None = None,
    batch_size: int = 32,
) -> dict[str, float]:
    """Score a `targeted-sentiment` pipeline on a dataset in the reader schema.

    Extraction and joint scores compare exact character spans against the *untouched* gold, so an
    aspect that the model cannot see (cut off by its length limit) counts as a miss. Gold aspects
    whose polarity is not in `labels` (e.g. `conflict`) are left out of the gold, as is usual; how
    many were left out is returned as `gold_aspects_left_out`.

    Args:
        classifier (`TargetedSentimentPipeline`): `pipeline("targeted-sentiment", model=...)`.
        dataset (`datasets.Dataset`): rows with `text` and `aspects`.
        labels (`set[str]`, *optional*): the polarities to score; defaults to the model's labels.
        batch_size (`int`, *optional*, defaults to 32): pipeline batch size.

    Returns:
        `dict[str, float]`: the scores of [`targeted_sentiment_scores`] (in %) and
        `gold_aspects_left_out`.
    """
    labels = set(labels or classifier.model.config.label2id)
    texts = list(dataset["text"])
    gold, left_out = [], 0
    for aspects in dataset["aspects"]:
        kept = [(a["from"], a["to"], a["polarity"]) for a in aspects if a["polarity"] in labels]
        left_out += len(aspects) - len(kept)
        gold.append(kept)
    extracted = classifier(texts, batch_size=batch_size)
    predicted = [[(p["start"], p["end"], p["polarity"]) for p in sentence] for sentence in extracted]
    on_gold = []
    for text, triples in zip(texts, gold):
        if triples:
            results = classifier(text, aspects=[(s, e) for s, e, _ in triples])
            on_gold.append([r["polarity"] for r in results])
        else:
            on_gold.append([])
    scores = targeted_sentiment_scores(gold, predicted, on_gold)
    scores["gold_aspects_left_out"] = float(left_out)
    return scores


DEFAULT_SPAN_THRESHOLDS = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)


def select_span_threshold(
    trainer: Trainer,
    thresholds: Sequence[float] = DEFAULT_SPAN_THRESHOLDS,
    metric: str = "eval_joint_f1",
) -> tuple[float, dict[float, float]]:
    """Choose FCKT's decoding threshold γ on the trainer's *evaluation* (dev) set.

    γ only acts at decoding time, so it is chosen after training, like the epoch. The dev set is
    encoded once; every candidate γ decodes the same boundary logits and hidden states, and the best
    `metric` wins (the smaller γ on ties). The model's config keeps the winner, so it is saved with
    the checkpoint, and the choice is logged.

    Args:
        trainer (`Trainer`): a `Trainer` holding an FCKT model and its dev set as `eval_dataset`,
            encoded by `encode_aspects` (gold spans, labels and candidate masks).
        thresholds (`Sequence[float]`, *optional*, defaults to `DEFAULT_SPAN_THRESHOLDS`): the
            candidate values of γ.
        metric (`str`, *optional*, defaults to `"eval_joint_f1"`): the score to maximise, a key of
            `compute_targeted_sentiment_metrics` (the `eval_` prefix is optional).

    Returns:
        `tuple[float, dict[float, float]]`: The chosen γ and the metric for every candidate.
    """
    model = trainer.model
    thresholds = [float(t) for t in thresholds]
    if not thresholds:
        raise ValueError("select_span_threshold needs at least one candidate threshold.")
    key = metric.removeprefix("eval_")
    hidden_states: list[torch.Tensor] = []
    # The encoder's output is all the decoding needs beside the logits; a hook keeps it without
    # re-implementing the forward.
    hook = model.encoder.register_forward_hook(lambda module, args, output: hidden_states.append(output[0]))
    was_training = model.training
    model.eval()
    rows: list[tuple[list, list, list]] = []
    try:
        with torch.no_grad():
            for batch in trainer.get_eval_dataloader():
                batch = {name: value.to(trainer.args.device) for name, value in batch.items()}
                missing = {"aspect_spans", "aspect_labels", "start_candidate_mask", "end_candidate_mask"} - set(batch)
                if missing:
                    raise ValueError(
                        f"select_span_threshold: the eval_dataset lacks {sorted(missing)}; encode it with encode_aspects."
                    )
                hidden_states.clear()
                output = model(**batch)
                gold, on_gold = gold_rows(
                    batch["aspect_spans"].cpu().numpy(),
                    batch["aspect_labels"].cpu().numpy(),
                    output.aspect_polarity_logits.float().cpu().numpy(),
                )
                predicted = []
                for threshold in thresholds:
                    spans, _, polarities, _ = model.predict_aspects(
                        hidden_states[-1],
                        output.start_logits,
                        output.end_logits,
                        batch["start_candidate_mask"].bool(),
                        batch["end_candidate_mask"].bool(),
                        threshold,
                        attention_mask=batch["attention_mask"],
                    )
                    predicted.append(predicted_rows(spans.cpu().numpy(), polarities.cpu().numpy()))
                # Under several processes each sees its shard of dev: gather per batch, while
                # accelerate still knows which rows of the last batch are padding to drop.
                batch_rows = list(zip(gold, on_gold, zip(*predicted)))
                rows.extend(trainer.accelerator.gather_for_metrics(batch_rows, use_gather_object=True))
    finally:
        hook.remove()
        model.train(was_training)
    gold = [row[0] for row in rows]
    on_gold = [row[1] for row in rows]
    scores = {
        threshold: targeted_sentiment_scores(gold, [row[2][index] for row in rows], on_gold)[key]
        for index, threshold in enumerate(thresholds)
    }
    best = max(sorted(scores), key=lambda t: scores[t])
    model.config.span_threshold = best
    logger.info("span threshold γ = %s chosen on dev (%s by γ: %s)", best, key, scores)
    return best, scores


__all__ = [
    "DEFAULT_SPAN_THRESHOLDS",
    "evaluate_targeted_sentiment",
    "select_span_threshold",
]
