"""Targeted distillation (Zhang et al., 2025): teachers, KnowDist / ICLDist data, the PEFT student trainer."""
