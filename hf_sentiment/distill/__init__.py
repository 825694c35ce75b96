"""Targeted distillation (Zhang et al., 2025): teachers and their resumable cache, KnowDist and
ICLDist data, and the PEFT student's trainer."""

# `gguf_to_folder` lives with its user, `offline_llm_folder`; kept importable here.
from ..offline import gguf_to_folder
from .icldist import FORMATS, ICLTask, answer_icl_prompts, build_icl_prompts, sentibench_icl_tasks
from .knowdist import KNOWDIST_TEMPLATES, answer_knowdist_prompts, build_knowdist_prompts
from .label_distillation_loss import LabelDistillationLoss, label_kd_loss
from .prompts import PromptTemplate, load_templates, save_templates
from .teacher_cache import (
    CachedTeacher,
    RepairReport,
    TeacherCache,
    cached_generate,
    cached_label_distribution,
    repair_cache,
)
from .teachers import EndpointTeacher, LocalTeacher, Teacher, TeacherConnectionError
from .trainer_distill import (
    DataCollatorForDistillation,
    DistillationConfig,
    DistillationTrainer,
    DistillationTrainingArguments,
    default_lora_config,
    prepare_distillation_dataset,
    resolve_peft_config,
)

__all__ = [
    "FORMATS",
    "KNOWDIST_TEMPLATES",
    "CachedTeacher",
    "DataCollatorForDistillation",
    "DistillationConfig",  # the former name of DistillationTrainingArguments (the same class)
    "DistillationTrainer",
    "DistillationTrainingArguments",
    "EndpointTeacher",
    "ICLTask",
    "LabelDistillationLoss",
    "LocalTeacher",
    "PromptTemplate",
    "RepairReport",
    "Teacher",
    "TeacherCache",
    "TeacherConnectionError",
    "answer_icl_prompts",
    "answer_knowdist_prompts",
    "build_icl_prompts",
    "build_knowdist_prompts",
    "cached_generate",
    "cached_label_distribution",
    "default_lora_config",
    "gguf_to_folder",
    "label_kd_loss",
    "load_templates",
    "prepare_distillation_dataset",
    "repair_cache",
    "resolve_peft_config",
    "save_templates",
    "sentibench_icl_tasks",
]
