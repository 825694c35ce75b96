"""Every trainer beyond one process: two gloo processes on CPU log the same losses and reach the
same weights as one process over the same global batches.

`accelerate launch --config_file examples/accelerate/cpu_two_processes.yaml` (one-machine DDP) with
no visible GPU starts two CPU processes through torchrun with the gloo backend (`--cpu --num_processes 2` would run one process unless MPI
is set up). The one-process run takes the same global batch of 4 as two micro-batches of 2 with
gradient accumulation 2: contrastive terms (FCKT's boundary InfoNCE, SupCon, LCL) compare the
examples within a micro-batch, as in the authors' single-GPU code, so each process's micro-batch
is the unit in both runs. SoftMCL gathers the keys of both processes into one step's negatives
and queue, so its one-process run takes the global batch whole (`tiny_trainers.run`); that the
queue holds the keys of both processes is tested in `test_softmcl_distributed.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.utils.tiny_trainers import KINDS

WORKER = Path(__file__).resolve().parents[1] / "utils" / "tiny_trainers.py"
CONFIG = Path(__file__).resolve().parents[2] / "examples" / "accelerate" / "cpu_two_processes.yaml"


def run(command: list[str]) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    one, two = tmp_path_factory.mktemp("one-process"), tmp_path_factory.mktemp("two-processes")
    run([sys.executable, str(WORKER), str(one), ",".join(KINDS), "2", "2"])
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CONFIG)]
    run([*launch, str(WORKER), str(two), ",".join(KINDS), "2", "1"])
    return {"one": one, "two": two}


@pytest.mark.parametrize("kind", KINDS)
def test_two_processes_match_one_process(runs, kind):
    one = json.loads((runs["one"] / f"{kind}.json").read_text())
    two = json.loads((runs["two"] / f"{kind}.json").read_text())
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert two["distributed_type"] == "DistributedType.MULTI_CPU"  # DDP over gloo
    assert len(one["losses"]) == len(two["losses"]) == 3
    assert two["losses"] == pytest.approx(one["losses"], rel=1e-5, abs=1e-6)
    assert one["weights"].keys() == two["weights"].keys()
    # SoftMCL's one process averages over 4 examples where DDP averages two means of 2: the weights
    # agree to float rounding, which Adam's normalised step can enlarge for near-zero gradients.
    for name, summary in one["weights"].items():
        assert two["weights"][name] == pytest.approx(summary, rel=1e-5, abs=1e-4), name
    # Both runs trained: some trainable tensor moved from its initial value.
    moved = [name for name, summary in one["weights"].items() if summary != pytest.approx(one["initial_weights"][name])]
    assert moved, "no trainable tensor changed"
