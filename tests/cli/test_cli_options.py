"""The training commands read their model options from the config classes (one source for every
hyper-parameter), and a command line builds the same config as before that change.

`BEFORE` holds, for representative command lines, the keyword arguments that the hand-written
option lists of `hf_sentiment/cli/train_*.py` passed to `from_pretrained_encoder` (recorded from
commit 976ba7c, the last one with those lists). Each must build a config equal to the one the
config-derived options build now: the same values with the same Python types.
"""

from __future__ import annotations

import pytest
from transformers import BertConfig

from hf_sentiment import FCKTConfig, LCLConfig, SoftMCLConfig
from hf_sentiment.cli import main, train_fckt, train_lcl, train_softmcl
from hf_sentiment.model_cards import KINDS, training_hyperparameters
from hf_sentiment.model_cards.hyperparameters import config_hyperparameters, docstring_arguments

POLARITIES = {0: "positive", 1: "negative", 2: "neutral"}
FCKT_DEFAULTS = dict(id2label=POLARITIES, contrastive_weight=0.1, contrastive_temperature=0.07, gold_span_ratio=0.7,
                     expectation_max_width=3, span_threshold=0.0, max_span_length=12)  # fmt: skip
LCL_DEFAULTS = dict(contrastive_loss="label_aware", weighting_network="separate", ce_weight=0.5,
                    contrastive_temperature=0.3, weighting_gradient=True, weighting_ce_weight=0.5,
                    second_view="embedding_dropout", view_dropout=0.1, pooling="cls")  # fmt: skip
SOFTMCL_DEFAULTS = dict(mlm_weight=1.0, word_weight=1.0, sentence_weight=1.0, word_temperature=0.07,
                        sentence_temperature=0.07, momentum=0.999, word_queue_size=4096, sentence_queue_size=1024,
                        projection_dim=128)  # fmt: skip

BEFORE = {
    "fckt": [
        ([], FCKT_DEFAULTS),
        (["--contrastive_weight", "0.1"], FCKT_DEFAULTS),
        (["--contrastive_weight", "1", "--gold_span_ratio", "1", "--expectation_max_width", "5", "--span_threshold",
          "-2", "--max_span_length", "8", "--contrastive_temperature", "0.1", "--polarities", "pos,neg"],
         dict(FCKT_DEFAULTS, id2label={0: "pos", 1: "neg"}, contrastive_weight=1.0, contrastive_temperature=0.1,
              gold_span_ratio=1.0, expectation_max_width=5, span_threshold=-2.0, max_span_length=8)),
    ],
    "lcl": [
        ([], LCL_DEFAULTS),
        (["--weighting_network", "shared", "--weighting_ce_weight", "0.25", "--view_dropout", "0.2"],
         dict(LCL_DEFAULTS, weighting_network="shared", weighting_ce_weight=0.25, view_dropout=0.2)),
        (["--contrastive_loss", "supcon", "--ce_weight", "1", "--contrastive_temperature", "0.1", "--second_view",
          "encoder_dropout", "--pooling", "mean"],
         dict(LCL_DEFAULTS, contrastive_loss="supcon", ce_weight=1.0, contrastive_temperature=0.1,
              second_view="encoder_dropout", pooling="mean")),
        (["--weighting_network", "shared", "--weighting_gradient", "False"],
         dict(LCL_DEFAULTS, weighting_network="shared", weighting_gradient=False)),
        (["--no_weighting_gradient"], dict(LCL_DEFAULTS, weighting_gradient=False)),
        (["--weighting_gradient"], LCL_DEFAULTS),
    ],
    "softmcl": [
        ([], SOFTMCL_DEFAULTS),
        (["--word_queue_size", "8", "--sentence_queue_size", "8", "--projection_dim", "8"],
         dict(SOFTMCL_DEFAULTS, word_queue_size=8, sentence_queue_size=8, projection_dim=8)),
        (["--mlm_weight", "0", "--word_weight", "2", "--sentence_weight", "0.5", "--word_temperature", "0.1",
          "--sentence_temperature", "1", "--momentum", "0.99"],
         dict(SOFTMCL_DEFAULTS, mlm_weight=0.0, word_weight=2.0, sentence_weight=0.5, word_temperature=0.1,
              sentence_temperature=1.0, momentum=0.99)),
    ],
}  # fmt: skip
REQUIRED = {
    "fckt": ["--train_file", "a", "--validation_file", "b", "--output_dir", "x"],
    "lcl": ["--dataset", "sst2", "--output_dir", "x"],
    "softmcl": ["--output_dir", "x"],
}
CONFIGS = {"fckt": FCKTConfig, "lcl": LCLConfig, "softmcl": SoftMCLConfig}
BACKBONE = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)


def config_kwargs_now(kind: str, argv: list[str]) -> dict:
    module = {"fckt": train_fckt, "lcl": train_lcl, "softmcl": train_softmcl}[kind]
    model_args, config_args, *_ = module.build_parser().parse_args_into_dataclasses(argv + REQUIRED[kind])
    return module.config_kwargs(model_args, config_args) if kind == "fckt" else module.config_kwargs(config_args)


def typed(config) -> dict:
    return {key: (type(value), value) for key, value in config.to_dict().items() if key != "backbone_config"}


@pytest.mark.parametrize(
    ("kind", "argv", "before"),
    [(kind, argv, before) for kind, cases in BEFORE.items() for argv, before in cases],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_a_command_line_builds_the_config_it_built_before(kind, argv, before):
    config_class = CONFIGS[kind]
    now = config_class(backbone_config=BACKBONE, **config_kwargs_now(kind, argv))
    assert typed(now) == typed(config_class(backbone_config=BACKBONE, **before))


def test_only_given_options_are_forwarded():
    assert config_kwargs_now("lcl", []) == {}
    assert config_kwargs_now("lcl", ["--view-dropout", "0.2", "--no_weighting_gradient"]) == {
        "view_dropout": 0.2,
        "weighting_gradient": False,
    }
    given = config_kwargs_now("fckt", ["--n_best", "4", "--polarities", "a, b"])
    assert given == {"n_best": 4, "id2label": {0: "a", 1: "b"}}


@pytest.mark.parametrize("kind", ["fckt", "lcl", "softmcl"])
def test_help_shows_every_hyperparameter_with_its_docstring(kind, capsys):
    assert main(["train", kind, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for hyperparameter in config_hyperparameters(CONFIGS[kind]):
        assert f"--{hyperparameter.name}" in text
        assert hyperparameter.help, f"{CONFIGS[kind].__name__}.{hyperparameter.name} has no Args: entry"
        assert " ".join(hyperparameter.help.split()[:4]) in text


def test_the_card_records_the_configs_hyperparameters():
    from transformers import TrainingArguments

    from hf_sentiment import LCLForSequenceClassification

    model = LCLForSequenceClassification(LCLConfig(backbone_config=BACKBONE, num_labels=2, view_dropout=0.2))
    recorded = training_hyperparameters(TrainingArguments(output_dir="x", report_to="none"), model)
    names = [h.name for h in config_hyperparameters(LCLConfig)]
    assert {name: recorded[name] for name in names} == {name: getattr(model.config, name) for name in names}
    assert "include_weighting_network" not in recorded and "settings" not in KINDS["lcl"]


def test_docstring_arguments_reads_both_entry_layouts():
    doc = """Config.

    Args:
        alpha (`float`, defaults to 0.1): first line
            and its continuation.
        beta (`str`, *optional*):
            On the next line (with `code`).

    Returns:
        nothing: not an argument.
    """
    assert docstring_arguments(doc) == {
        "alpha": "first line and its continuation.",
        "beta": "On the next line (with `code`).",
    }


def test_train_fckt_defaults_to_the_recipe_and_any_option_overrides_it():
    from transformers import TrainingArguments

    from hf_sentiment.cli.common import EarlyStoppingArguments

    def parsed(argv: list[str]) -> tuple[EarlyStoppingArguments, TrainingArguments]:
        found = train_fckt.build_parser().parse_args_into_dataclasses([*REQUIRED["fckt"], *argv])
        return next(a for a in found if isinstance(a, EarlyStoppingArguments)), next(
            a for a in found if isinstance(a, TrainingArguments)
        )

    stopping, training = parsed([])
    assert (training.num_train_epochs, training.learning_rate, training.per_device_train_batch_size) == (15, 1e-4, 16)
    assert training.train_sampling_strategy == "group_by_length"
    assert stopping.early_stopping_patience == 3
    stopping, training = parsed(["--num_train_epochs", "2", "--early_stopping_patience", "0"])
    assert (training.num_train_epochs, stopping.early_stopping_patience) == (2, 0)


def test_logged_means_by_epoch_averages_each_epochs_log_lines():
    from types import SimpleNamespace

    from hf_sentiment.cli.common import logged_means_by_epoch

    history = [
        {"loss": 1.0, "weighting_entropy": 3.0, "epoch": 0.5},
        {"loss": 1.0, "weighting_entropy": 2.0, "epoch": 1.0},  # the last line of epoch 1
        {"eval_macro_f1": 0.4, "epoch": 1.0},
        {"loss": 1.0, "weighting_entropy": 1.0, "epoch": 1.5},
    ]
    assert logged_means_by_epoch(SimpleNamespace(log_history=history), "weighting_entropy") == [2.5, 1.0]
    gap = [{"weighting_entropy": 4.0, "epoch": 2.0}, {"weighting_entropy": 3.0, "epoch": 3.0}]
    assert logged_means_by_epoch(SimpleNamespace(log_history=gap), "weighting_entropy") == [None, 4.0, 3.0]
    assert logged_means_by_epoch(SimpleNamespace(log_history=history), "absent") == []
