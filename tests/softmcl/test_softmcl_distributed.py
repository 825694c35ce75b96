"""SoftMCL under two processes (gloo on CPU): the keys of both processes reach the queue, and both
processes keep the same queue.

On a machine without GPUs, `accelerate launch --multi_gpu --num_processes 2` starts two CPU
processes through torchrun with the gloo backend; `accelerate launch --cpu --num_processes 2` runs
a single process unless MPI is set up, so it would not test anything here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

SCRIPT = textwrap.dedent(
    """
    import sys, torch
    from datasets import Dataset
    from transformers import AutoTokenizer, BertConfig
    from hf_sentiment import (SoftMCLConfig, SoftMCLForPreTraining, SoftMCLTrainer, SoftMCLTrainingArguments,
                              ValenceLexicon, encode_valence_corpus)
    from hf_sentiment.offline import offline_minilm_path

    out = sys.argv[1]
    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    lexicon = ValenceLexicon({"good": 8, "bad": 2, "happy": 8.5, "sad": 2.1, "great": 7.8, "awful": 1.9}, scale=(1, 9))
    texts = ["good and happy", "bad day", "a great film", "sad and awful", "good", "bad", "happy", "sad"]
    data, _ = encode_valence_corpus(Dataset.from_dict({"text": texts}), tokenizer, lexicon)
    torch.manual_seed(0)
    backbone = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                          intermediate_size=37)
    model = SoftMCLForPreTraining(SoftMCLConfig(backbone_config=backbone, word_queue_size=32, sentence_queue_size=16,
                                                projection_dim=8))
    args = SoftMCLTrainingArguments(out, max_steps=1, per_device_train_batch_size=2, report_to="none", use_cpu=True,
                                    disable_tqdm=True, save_strategy="no", train_sampling_strategy="sequential")
    trainer = SoftMCLTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer)
    trainer.train()
    rank = trainer.args.process_index
    torch.save({"world": trainer.args.world_size, "pointer": model.word_queue_pointer,
                "valence": model.word_queue_valence, "queue": model.word_queue,
                "sentence_pointer": model.sentence_queue_pointer},
               f"{out}/rank{rank}.pt")
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()  # a live gloo group can abort the process at exit
    """
)


def test_two_processes_enqueue_the_keys_of_both(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        str(script),
        str(tmp_path),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0]["world"] == 2
    # The first global batch is texts 0-3: "good and happy", "bad day", "a great film", "sad and awful",
    # two on each process; their 6 rated words must all be queued, on both processes.
    expected = sorted([(8 - 1) / 8, (8.5 - 1) / 8, (2 - 1) / 8, (7.8 - 1) / 8, (2.1 - 1) / 8, (1.9 - 1) / 8])
    for rank in ranks:
        assert int(rank["pointer"]) == 6 and int(rank["sentence_pointer"]) == 4
        queued = sorted(v for v in rank["valence"].tolist() if v >= 0)
        assert queued == pytest.approx(expected)
    torch.testing.assert_close(ranks[0]["queue"], ranks[1]["queue"])
    torch.testing.assert_close(ranks[0]["valence"], ranks[1]["valence"])
