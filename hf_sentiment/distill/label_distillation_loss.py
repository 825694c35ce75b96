"""Label-level knowledge distillation for a causal-LM student (the optional KD term of targeted
distillation, Zhang et al., 2025).

The student is a plain causal LM, not a remote-code folder, so the loss lives here, beside
[`DistillationTrainer`], and is re-exported from `hf_sentiment.losses`.
"""

from __future__ import annotations

import torch
from torch import nn


def label_kd_loss(
    logits: torch.Tensor,
    label_position: torch.Tensor,
    label_token_ids: torch.Tensor,
    teacher_probs: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """`T² · KL(teacher ‖ student)` over each row's verbalised labels, averaged over the rows that
    have labels. See [`LabelDistillationLoss`] for the formula and the module form.

    Args:
        logits (`torch.FloatTensor` of shape `(B, n, V)`):
            The student's logits.
        label_position (`torch.LongTensor` of shape `(B,)`):
            The position whose logits predict the answer's first token.
        label_token_ids (`torch.LongTensor` of shape `(B, L)`):
            The labels' first student tokens, -1 for padding.
        teacher_probs (`torch.FloatTensor` of shape `(B, L)`):
            The teacher's label distribution, 0 on padding.
        temperature (`float`):
            T (applied to the student; the teacher's probabilities are sharpened or softened as
            `p^(1/T)` renormalised).

    Returns:
        `torch.FloatTensor` of shape `()`: the loss (0 with a gradient path when no row has labels).
    """
    valid = label_token_ids >= 0
    rows = valid.any(-1)
    if not rows.any():
        return logits.sum() * 0.0
    position_logits = logits[torch.arange(logits.shape[0], device=logits.device), label_position]
    student = position_logits.gather(-1, label_token_ids.clamp_min(0)) / temperature
    student = student.masked_fill(~valid, float("-inf")).log_softmax(-1)
    teacher = teacher_probs.clamp_min(1e-12).log() / temperature
    teacher = teacher.masked_fill(~valid, float("-inf")).log_softmax(-1)
    kl = (teacher.exp() * (teacher - student)).masked_fill(~valid, 0.0).sum(-1)
    return temperature**2 * kl[rows].mean()


class LabelDistillationLoss(nn.Module):
    """Label-level KD: the KL divergence from the teacher's distribution over a task's verbalised
    labels to the student's, at the position where the student's answer starts.

    For a row with labels `1..L` (first student tokens `c_1..c_L`), the student's logits `z` at the
    answer position and the teacher's label probabilities `p_1..p_L`:

        s_l = log_softmax_l(z[c_l] / T)              (the student over the L labels only)
        t_l = log_softmax_l(log(p_l) / T)            (the teacher, i.e. p_l^(1/T) renormalised)
        KL  = sum_l exp(t_l) · (t_l − s_l)
        L   = T² · mean over rows with labels of KL

    The `T²` keeps the gradient's scale independent of the temperature (Hinton et al., 2015).
    Padding labels (id -1) take no part; rows without labels are left out of the mean, and a batch
    without any gives 0 (with a gradient path). The student's logits are read at each label's
    *first* token in the student's own tokenizer, so the term works when teacher and student
    tokenise differently (`prepare_distillation_dataset` refuses labels that share a first token).

    Our reading: the paper distils by fine-tuning on teacher-generated text (sequence level) and
    its authors release no training code; a token-level KD on label distributions is the extra our
    paper notes name as useful (`../shared/papers/NOTES.md`, beside the checkout). In
    [`DistillationTrainer`] it is added to the sequence loss as `L_seq + label_kd_weight · L`.

    Reference: Yice Zhang, Guangyu Xie, Jingjie Lin, Jianzhu Bao, Qianlong Wang, Xi Zeng and Ruifeng
    Xu, "Targeted Distillation for Sentiment Analysis", EMNLP 2025, arXiv:2503.03225.

    Args:
        temperature (`float`, *optional*, defaults to 1.0):
            T (`DistillationConfig.label_kd_temperature`).

    Inputs:
        logits (`torch.FloatTensor` of shape `(B, n, V)`): the student's logits.
        label_position (`torch.LongTensor` of shape `(B,)`): the position whose logits predict the
            answer's first token.
        label_token_ids (`torch.LongTensor` of shape `(B, L)`): the labels' first student tokens,
            -1 for padding.
        teacher_probs (`torch.FloatTensor` of shape `(B, L)`): the teacher's label distribution, 0
            on padding.

    Returns:
        `torch.FloatTensor` of shape `()`.

    Example:

    ```python
    >>> import torch
    >>> from hf_sentiment.losses import LabelDistillationLoss
    >>> logits = torch.randn(2, 7, 50, requires_grad=True)  # the student's (B, n, V)
    >>> label_position = torch.tensor([4, 6])                # last prompt token of each row
    >>> label_token_ids = torch.tensor([[11, 12, 13], [11, 12, -1]])  # " positive", " negative", ...
    >>> teacher_probs = torch.tensor([[0.8, 0.1, 0.1], [0.3, 0.7, 0.0]])
    >>> LabelDistillationLoss(temperature=2.0)(logits, label_position, label_token_ids, teacher_probs).backward()
    ```
    """

    # Copied from hf_sentiment.fckt.boundary_contrastive_loss.BoundaryContrastiveLoss.__init__ with 0.07->1.0
    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def forward(
        self,
        logits: torch.Tensor,
        label_position: torch.Tensor,
        label_token_ids: torch.Tensor,
        teacher_probs: torch.Tensor,
    ) -> torch.Tensor:
        return label_kd_loss(logits, label_position, label_token_ids, teacher_probs, self.temperature)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}"


__all__ = ["LabelDistillationLoss", "label_kd_loss"]
