"""Tiny trainers of every kind (FCKT, LCL with either weighting network, the distillation student)
on a dozen synthetic rows, for the multi-process and resume tests; run as a script, it trains them
and writes what each run logged.

    python tests/utils/tiny_trainers.py OUT KINDS PER_DEVICE_BATCH ACCUMULATION
    accelerate launch --multi_gpu --num_processes 2 tests/utils/tiny_trainers.py OUT KINDS 2 1

KINDS: comma-separated, from `KINDS` (trained one after another). The script switches off every
source of randomness that would differ between processes (dropout, FCKT's gold/predicted span
coin, LoRA dropout), so a two-process run and a one-process run over the same global batches must
log the same losses and end with the same weights. Rank 0 writes `OUT/KIND.json`: the logged
training losses and summaries of every trainable tensor before and after training.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from transformers import AutoTokenizer, BertConfig, DataCollatorWithPadding, TrainingArguments

from hf_sentiment import (
    DataCollatorForTargetedSentiment,
    FCKTConfig,
    FCKTForTargetedSentiment,
    LCLConfig,
    LCLForSequenceClassification,
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_aspects,
    encode_valence_corpus,
)
from hf_sentiment.data.valence_encoding import DataCollatorForSoftMCL
from hf_sentiment.distill.trainer_distill import DistillationConfig, DistillationTrainer, prepare_distillation_dataset
from hf_sentiment.offline import offline_minilm_path
from hf_sentiment.training import LossPartsTrainer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script, the checkout is not on the path
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer

STEPS = 3
KINDS = ("fckt", "lcl_shared", "lcl_separate", "softmcl", "distill")
ASPECTS = ["battery", "screen", "keyboard", "price"]
OPINIONS = [("great", "positive"), ("awful", "negative"), ("okay", "neutral")]


def encoder_config(tokenizer, dropout: float) -> BertConfig:
    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=64, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
    )  # fmt: skip


def fckt(tokenizer, args: dict, random: bool) -> LossPartsTrainer:
    config = FCKTConfig(
        backbone_config=encoder_config(tokenizer, 0.1 if random else 0.0), classifier_dropout=0.1 if random else 0.0,
        gold_span_ratio=0.7 if random else 0.0,
    )  # fmt: skip
    model = FCKTForTargetedSentiment(config)
    rows = []
    for i in range(4 * STEPS):
        aspect, (opinion, polarity) = ASPECTS[i % 4], OPINIONS[i % 3]
        text = f"the {aspect} is {opinion}"
        rows.append({"id": str(i), "text": text, "aspects": [{"term": aspect, "from": 4, "to": 4 + len(aspect), "polarity": polarity}]})  # fmt: skip
    train, _ = encode_aspects(Dataset.from_list(rows), tokenizer, model.config.label2id, 32, name="train")
    return LossPartsTrainer(
        model=model, args=TrainingArguments(**args), train_dataset=train,
        data_collator=DataCollatorForTargetedSentiment(tokenizer), processing_class=tokenizer,
    )  # fmt: skip


def lcl(tokenizer, args: dict, weighting_network: str, random: bool) -> LossPartsTrainer:
    dropout = 0.1 if random else 0.0
    config = LCLConfig(
        backbone_config=encoder_config(tokenizer, dropout), num_labels=3, weighting_network=weighting_network,
        view_dropout=dropout, classifier_dropout=dropout,
    )  # fmt: skip
    model = LCLForSequenceClassification(config)
    texts = [f"the {a} is {o}" for a in ASPECTS for o, _ in OPINIONS][: 4 * STEPS]
    labels = [i % 3 for i in range(len(texts))]
    train = Dataset.from_dict({"text": texts, "labels": labels}).map(
        lambda batch: tokenizer(batch["text"]), batched=True, remove_columns=["text"]
    )
    return LossPartsTrainer(
        model=model, args=TrainingArguments(**args), train_dataset=train,
        data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
    )  # fmt: skip


def softmcl(tokenizer, args: dict, random: bool) -> SoftMCLTrainer:
    """Without randomness, no token is masked: MLM masks are drawn per micro-batch, so a batch split
    over processes would be masked differently from the whole batch (the MLM term is then 0)."""
    lexicon = ValenceLexicon({"good": 8, "bad": 2, "happy": 8.5, "sad": 2.1, "great": 7.8, "awful": 1.9}, scale=(1, 9))
    # Each half of every global batch of 4 holds the same number of rated words and sentences, so
    # the per-process means that DDP averages equal the one-process mean.
    texts = ["good and happy", "bad day", "a great film", "sad and awful", "good", "bad", "happy", "sad"] * 2
    train, _ = encode_valence_corpus(Dataset.from_dict({"text": texts[: 4 * STEPS]}), tokenizer, lexicon)
    config = SoftMCLConfig(
        backbone_config=encoder_config(tokenizer, 0.1 if random else 0.0), word_queue_size=32, sentence_queue_size=16,
        projection_dim=8,
    )  # fmt: skip
    return SoftMCLTrainer(
        model=SoftMCLForPreTraining(config), args=SoftMCLTrainingArguments(**args), train_dataset=train,
        data_collator=DataCollatorForSoftMCL(tokenizer, mlm_probability=0.15 if random else 0.0),
    )  # fmt: skip


def distill(args: dict, random: bool) -> DistillationTrainer:
    tokenizer = tiny_tokenizer()
    rows = {
        "prompt": [f"Text: {o} {a}.\nSentiment:" for a in ASPECTS for o, _ in OPINIONS][: 4 * STEPS],
        "completion": [f" {p}" for _ in ASPECTS for _, p in OPINIONS][: 4 * STEPS],
    }
    train, _ = prepare_distillation_dataset(Dataset.from_dict(rows), tokenizer)
    config = DistillationConfig(
        **args, peft_config={"r": 4, "lora_alpha": 8, "lora_dropout": 0.1 if random else 0.0, "target_modules": "all-linear", "task_type": "CAUSAL_LM"}
    )  # fmt: skip
    return DistillationTrainer(
        model=tiny_causal_lm(tokenizer), args=config, train_dataset=train, processing_class=tokenizer
    )


def build_trainer(kind: str, random: bool = False, init_seed: int = 0, **training_args: Any) -> LossPartsTrainer:
    """The tiny trainer of `kind` (one of `KINDS`); `random=False` switches off dropout and FCKT's
    span coin; `init_seed` seeds the model's initial weights; `training_args` go to the kind's
    `TrainingArguments` (`output_dir` needed)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {KINDS}")
    args = {"report_to": "none", "use_cpu": True, "disable_tqdm": True, "seed": 0, **training_args}
    torch.manual_seed(init_seed)
    if kind == "distill":
        return distill(args, random)
    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    if kind == "fckt":
        return fckt(tokenizer, args, random)
    if kind == "softmcl":
        return softmcl(tokenizer, args, random)
    return lcl(tokenizer, args, kind.removeprefix("lcl_"), random)


def weight_summaries(model: torch.nn.Module) -> dict[str, list[float]]:
    """Per trainable tensor: its sum, its sum of squares, and its dot product with a fixed random
    vector (a change that keeps the sum would still move the other two)."""
    summaries = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            values = parameter.detach().double().flatten()
            probe = torch.randn(values.numel(), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
            summaries[name] = [float(values.sum()), float(values.square().sum()), float(values @ probe)]
    return summaries


def main() -> None:
    out, kinds, per_device, accumulation = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
    for kind in kinds:
        run(out, kind, per_device, accumulation)
    if torch.distributed.is_initialized():
        # Leaving with the gloo group alive can abort a process in its exit handlers
        # ("terminate called without an active exception"), failing the launch after the work.
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def run(out: str, kind: str, per_device: int, accumulation: int) -> None:
    if kind == "softmcl":
        # SoftMCL gathers the keys of all processes into one step's negatives and queue, so one
        # process matches two at the same global batch taken whole, not accumulated.
        per_device, accumulation = per_device * accumulation, 1
    trainer = build_trainer(
        kind, output_dir=f"{out}/{kind}", max_steps=STEPS, per_device_train_batch_size=per_device,
        gradient_accumulation_steps=accumulation, learning_rate=1e-3, logging_steps=1, save_strategy="no",
        train_sampling_strategy="sequential", lr_scheduler_type="constant",
    )  # fmt: skip
    initial = weight_summaries(trainer.model)
    trainer.train()
    if trainer.args.process_index == 0:
        losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
        weights = weight_summaries(trainer.model)
        record = {
            "world_size": trainer.args.world_size,
            "distributed_type": str(trainer.accelerator.distributed_type),
            "losses": losses,
            "initial_weights": initial,
            "weights": weights,
        }
        Path(out, f"{kind}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
