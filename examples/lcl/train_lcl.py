#!/usr/bin/env python
"""Fine-tune a sentence classifier with label-aware contrastive loss (LCL) on SST-5, then use it.

    python examples/lcl/train_lcl.py --output_dir runs/lcl-sst5 --num_train_epochs 3 \
        --learning_rate 5e-5 --per_device_train_batch_size 16 --eval_strategy epoch --report_to none

Data: `sst/stsa.fine.*` in the shared data folder (`--data_dir`, else `$HF_SENTIMENT_DATA`, else
`../shared/data` beside a checkout). Encoder: the offline MiniLM, or `--model_name_or_path`. Every
`TrainingArguments` option works. The model computes CE + LCL itself, so a plain `Trainer` trains it.
`hf-sentiment train lcl` runs the full job on five datasets (best epoch on dev, per-class F1, card).
"""

from dataclasses import dataclass

from transformers import (
    AutoTokenizer,
    DataCollatorWithPadding,
    HfArgumentParser,
    Trainer,
    TrainingArguments,
    pipeline,
)

from hf_sentiment import LCLForSequenceClassification, compute_classification_metrics, read_sst
from hf_sentiment.data.shared_data import find_data_dir
from hf_sentiment.offline import offline_minilm_path


@dataclass
class ScriptArguments:
    data_dir: str | None = None
    model_name_or_path: str | None = None
    max_train_samples: int | None = None  # small numbers make a quick try
    max_eval_samples: int | None = None


script_args, training_args = HfArgumentParser((ScriptArguments, TrainingArguments)).parse_args_into_dataclasses()
data_dir = find_data_dir(script_args.data_dir)
if data_dir is None:
    raise SystemExit("Pass --data_dir (the shared data folder) or set HF_SENTIMENT_DATA.")
splits = {split: read_sst(data_dir / "sst" / f"stsa.fine.{split}") for split in ("train", "dev", "test")}
if script_args.max_train_samples:
    splits["train"] = splits["train"].select(range(script_args.max_train_samples))
if script_args.max_eval_samples:
    for split in ("dev", "test"):
        splits[split] = splits[split].select(range(script_args.max_eval_samples))
names = splits["train"].features["label"].names  # very negative ... very positive

encoder = script_args.model_name_or_path or offline_minilm_path()
tokenizer = AutoTokenizer.from_pretrained(encoder)
# LCL weights each contrastive pair by a weighting network's class probabilities. "shared" makes
# that network a light head on the main encoder (the paper's "separate" second encoder costs ~2.2x
# a CE step); the other hyper-parameters keep LCLConfig's defaults (ce_weight, temperature, ...).
model = LCLForSequenceClassification.from_pretrained_encoder(
    encoder, id2label=dict(enumerate(names)), contrastive_loss="label_aware", weighting_network="shared"
)
encoded = {
    name: split.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=128), batched=True)
    for name, split in splits.items()
}

trainer = Trainer(
    model=model,
    args=training_args,
    train_dataset=encoded["train"],
    eval_dataset=encoded["dev"],
    data_collator=DataCollatorWithPadding(tokenizer),
    processing_class=tokenizer,
    compute_metrics=compute_classification_metrics,  # accuracy, macro- and weighted-F1 (offline)
)
trainer.train()
print("dev:", trainer.evaluate())
print("test:", trainer.evaluate(encoded["test"], metric_key_prefix="test"))

# The weighting network only serves training: a stripped folder is a plain sequence classifier.
model.strip_weighting_network()
trainer.save_model()
classifier = pipeline("text-classification", model=training_args.output_dir)
print(classifier(["A gorgeous, witty, seductive movie.", "The plot is nothing but boilerplate clichés."]))
