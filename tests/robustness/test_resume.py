"""Exact resume for every trainer: stop after 3 of 6 steps, resume from the checkpoint, and reach
what an uninterrupted run reaches: weights, optimizer moments, scheduler, the torch RNG and the
logged losses. Dropout and FCKT's span coin stay on, so the RNG must be restored for this to hold.
SoftMCL's resume (queues and key encoder included) is tested in `test_softmcl_modeling.py`; the
teacher cache's resume in `test_teachers.py`.
"""

from __future__ import annotations

import pytest
import torch
from tests.utils.tiny_trainers import KINDS, build_trainer
from transformers import TrainerCallback


class CountSteps(TrainerCallback):
    def __init__(self) -> None:
        self.steps = 0

    def on_step_end(self, args, state, control, **kwargs) -> None:
        self.steps += 1


def train(kind: str, output_dir, resume: str | None = None):
    # The resumed run starts from other initial weights: only the checkpoint can make it match.
    trainer = build_trainer(
        kind, random=True, init_seed=0 if resume is None else 1, output_dir=str(output_dir), max_steps=6,
        save_steps=3, per_device_train_batch_size=4, learning_rate=1e-3, warmup_steps=2, logging_steps=1,
    )  # fmt: skip
    counter = CountSteps()
    trainer.add_callback(counter)
    trainer.train(resume_from_checkpoint=resume)
    assert counter.steps == (6 if resume is None else 3)
    return trainer, torch.get_rng_state()


@pytest.mark.parametrize("kind", KINDS)
def test_resume_reaches_the_uninterrupted_run(tmp_path, kind):
    straight, straight_rng = train(kind, tmp_path / "straight")
    resumed, resumed_rng = train(kind, tmp_path / "resumed", resume=str(tmp_path / "straight" / "checkpoint-3"))

    expected, actual = straight.model.state_dict(), resumed.model.state_dict()
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-6, rtol=1e-5, msg=name)
    moments, resumed_moments = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert moments.keys() == resumed_moments.keys() and moments
    for index, state in moments.items():
        for key, value in state.items():
            torch.testing.assert_close(resumed_moments[index][key], value, atol=1e-7, rtol=1e-5, msg=f"{index}.{key}")
    assert resumed.lr_scheduler.state_dict() == straight.lr_scheduler.state_dict()
    assert torch.equal(resumed_rng, straight_rng)
    losses = {entry["step"]: entry["loss"] for entry in straight.state.log_history if "loss" in entry}
    after = {entry["step"]: entry["loss"] for entry in resumed.state.log_history if "loss" in entry}
    # Steps 1-3 come from the checkpoint's trainer state, 4-6 from the resumed training.
    assert sorted(after) == sorted(losses) == [1, 2, 3, 4, 5, 6]
    assert [after[step] for step in (4, 5, 6)] == pytest.approx([losses[step] for step in (4, 5, 6)], rel=1e-5)
