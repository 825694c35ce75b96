#!/usr/bin/env python
"""Continue pre-training an encoder SoftMCL-style (MLM + soft momentum contrastive learning on
word and sentence valences), then export it as a plain encoder to fine-tune like the original.

    python examples/softmcl/pretrain_softmcl.py --output_dir runs/softmcl --max_steps 1000 \
        --per_device_train_batch_size 32 --learning_rate 5e-5 --report_to none
    # several processes, each step's keys gathered across them into one set of negatives (GPUs:
    # examples/accelerate/ddp.yaml; two CPU processes as below need --use_cpu True)
    CUDA_VISIBLE_DEVICES= accelerate launch --config_file examples/accelerate/cpu_two_processes.yaml \
        examples/softmcl/pretrain_softmcl.py --use_cpu True --output_dir runs/softmcl --max_steps 1000 --report_to none

Corpus: EmoBank's train sentences (`emobank/emobank.csv` in the shared data folder: `--data_dir`,
else `$HF_SENTIMENT_DATA`, else `../shared/data` beside a checkout), whose valences are the
sentence targets; word targets come from the VADER lexicon shipped with hf-sentiment. Encoder: the
offline MiniLM, or `--model_name_or_path`. `hf-sentiment train softmcl` runs the full job (a
larger corpus, the Warriner lexicon, your own texts).
"""

from dataclasses import dataclass
from pathlib import Path

from transformers import AutoModel, AutoTokenizer, HfArgumentParser

from hf_sentiment import (
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_valence_corpus,
    read_emobank,
)
from hf_sentiment.data.shared_data import find_data_dir
from hf_sentiment.offline import offline_minilm_path


@dataclass
class ScriptArguments:
    data_dir: str | None = None
    model_name_or_path: str | None = None
    max_train_samples: int | None = None  # a small number makes a quick try


parser = HfArgumentParser((ScriptArguments, SoftMCLTrainingArguments))  # TrainingArguments + mlm_probability
script_args, training_args = parser.parse_args_into_dataclasses()
data_dir = find_data_dir(script_args.data_dir)
if data_dir is None:
    raise SystemExit("Pass --data_dir (the shared data folder) or set HF_SENTIMENT_DATA.")
corpus = read_emobank(data_dir / "emobank" / "emobank.csv", "train")  # text, valence in [0, 1]
if script_args.max_train_samples:
    corpus = corpus.select(range(script_args.max_train_samples))

encoder = script_args.model_name_or_path or offline_minilm_path()
tokenizer = AutoTokenizer.from_pretrained(encoder)
# Each text's words get their lexicon valence; the sentence keeps EmoBank's.
train, report = encode_valence_corpus(corpus, tokenizer, ValenceLexicon.from_vader(), max_length=64)
print(report)

# MLM head (fresh when the checkpoint has none), projections and the momentum key encoder around
# the encoder. The loss weights, temperatures, μ and queue sizes are SoftMCLConfig's defaults;
# pass any of them here to change them, e.g. word_queue_size=1024.
model = SoftMCLForPreTraining.from_pretrained_encoder(encoder)
# SoftMCLTrainer adds what forward cannot do: masking, the key encoder's EMA and the queues.
trainer = SoftMCLTrainer(model=model, args=training_args, train_dataset=train, processing_class=tokenizer)
print(trainer.train().metrics)
trainer.save_model()  # the whole pre-training model (resumable, loads with AutoModelForPreTraining)

if trainer.is_world_process_zero():
    exported = model.export_encoder(Path(training_args.output_dir) / "encoder", tokenizer=tokenizer)
    print(f"{exported} loads as", type(AutoModel.from_pretrained(exported)).__name__)
