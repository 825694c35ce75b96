"""`# Copied from` blocks match their sources (hf_sentiment.utils.check_copies), the checker catches an
edited copy, and the initialisation that replaced the three `_init_weights` copies gives the same
weights."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import BertConfig

import hf_sentiment
from hf_sentiment.fckt import FCKTConfig, FCKTForTargetedSentiment, FCKTPreTrainedModel
from hf_sentiment.lcl import LCLConfig, LCLForSequenceClassification, LCLPreTrainedModel
from hf_sentiment.softmcl import SoftMCLConfig, SoftMCLForPreTraining, SoftMCLPreTrainedModel
from hf_sentiment.utils.check_copies import check_copies, main

PACKAGE = Path(hf_sentiment.__file__).parent
MODEL_FOLDERS = ("fckt", "lcl", "softmcl")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A scratch copy of the package to edit."""
    shutil.copytree(PACKAGE, tmp_path / "hf_sentiment", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_copy_in_the_package_matches_its_source():
    assert check_copies(PACKAGE.parent) == []
    assert main(["--root", str(PACKAGE.parent)]) == 0


def test_the_package_has_the_copies_the_model_folders_need(tree):
    # If the markers vanished the check above would pass vacuously.
    markers = [
        line
        for path in (tree / "hf_sentiment").rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("# Copied from hf_sentiment.")
    ]
    assert len(markers) >= 7


def test_an_edited_copy_is_reported(tree):
    edit(
        tree / "hf_sentiment/lcl/modeling_lcl.py",
        "AutoModel.from_config(config.backbone_config, add_pooling_layer=False)",
        "AutoModel.from_config(config.backbone_config, add_pooling_layer=True)",
    )
    problems = check_copies(tree)
    assert [(str(p.path), p.source) for p in problems] == [
        ("hf_sentiment/lcl/modeling_lcl.py", "hf_sentiment.fckt.modeling_fckt._encoder_without_pooler")
    ]
    assert "+        return AutoModel.from_config(config.backbone_config, add_pooling_layer=True)" in (
        problems[0].problem
    )
    assert main(["--root", str(tree)]) == 1


@pytest.mark.parametrize(
    ("path", "old", "new", "source"),
    [
        (
            "hf_sentiment/softmcl/configuration_softmcl.py",
            'return getattr(self.backbone_config, "initializer_range", 0.02)',
            'return getattr(self.backbone_config, "initializer_range", 0.01)',
            "hf_sentiment.fckt.configuration_fckt.FCKTConfig.initializer_range",
        ),
        (  # a property's setter shares the getter's name: its marker names it `.setter`
            "hf_sentiment/lcl/configuration_lcl.py",
            "self.backbone_config.initializer_range = value",
            "self.backbone_config.initializer_range = 2 * value",
            "hf_sentiment.fckt.configuration_fckt.FCKTConfig.initializer_range.setter",
        ),
    ],
    ids=["method", "property setter"],
)
def test_an_edited_copy_of_a_method_is_reported(tree, path, old, new, source):
    edit(tree / path, old, new)
    problems = check_copies(tree)
    assert [(str(p.path), p.source) for p in problems] == [(path, source)]


def test_an_edited_source_reports_every_copy_and_fix_rewrites_them(tree):
    source = tree / "hf_sentiment/fckt/configuration_fckt.py"
    edit(source, "backbone_config = BertConfig()", "backbone_config = BertConfig(hidden_size=384)")
    problems = check_copies(tree)
    assert sorted(str(p.path) for p in problems) == [
        "hf_sentiment/lcl/configuration_lcl.py",
        "hf_sentiment/softmcl/configuration_softmcl.py",
    ]
    # `with FCKT->LCL` keeps each copy's own error message.
    assert check_copies(tree, fix=True)
    assert check_copies(tree) == []
    fixed = (tree / "hf_sentiment/lcl/configuration_lcl.py").read_text(encoding="utf-8")
    assert "BertConfig(hidden_size=384)" in fixed
    assert "LCLConfig: `backbone_config` given as a dict" in fixed


def test_a_marker_without_a_source_or_a_definition_is_reported(tree):
    path = tree / "hf_sentiment/lcl/modeling_lcl.py"
    edit(
        path,
        "# Copied from hf_sentiment.fckt.modeling_fckt._encoder_without_pooler with FCKT->LCL",
        "# Copied from hf_sentiment.fckt.modeling_fckt._no_such_function",
    )
    text = path.read_text(encoding="utf-8")
    stray = "\n\n# Copied from hf_sentiment.fckt.modeling_fckt._mask_padding\nVALUE = 1\n"
    path.write_text(text + stray, encoding="utf-8")
    problems = sorted(check_copies(tree), key=lambda p: p.line)
    assert len(problems) == 2
    assert "cannot be checked" in problems[0].problem and "_no_such_function" in problems[0].problem
    assert "has no def / class" in problems[1].problem


def test_helpers_defined_in_several_model_folders_are_guarded_copies():
    """A module-level function written in two model folders must be a `# Copied from` block, so a
    new copy cannot start drifting unnoticed."""
    places: dict[str, list[tuple[Path, bool]]] = {}
    for folder in MODEL_FOLDERS:
        for path in sorted((PACKAGE / folder).glob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for node in ast.parse("\n".join(lines)).body:
                if isinstance(node, ast.FunctionDef):
                    marked = node.lineno >= 2 and lines[node.lineno - 2].startswith("# Copied from hf_sentiment.")
                    places.setdefault(node.name, []).append((path.relative_to(PACKAGE), marked))
    for name, where in places.items():
        if len(where) > 1:
            unmarked = [str(path) for path, marked in where if not marked]
            assert len(unmarked) == 1, f"{name} is in {[str(p) for p, _ in where]}; unguarded: {unmarked}"


def _removed_init_weights(self, module: nn.Module) -> None:
    """The `_init_weights` the three model folders carried before they used transformers' own."""
    std = getattr(self.config.backbone_config, "initializer_range", 0.02)
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


@pytest.mark.parametrize("initializer_range", [0.02, 0.05])
@pytest.mark.parametrize(
    "model_class, base_class, make_config",
    [
        (FCKTForTargetedSentiment, FCKTPreTrainedModel, lambda backbone: FCKTConfig(backbone_config=backbone)),
        (
            LCLForSequenceClassification,
            LCLPreTrainedModel,
            lambda backbone: LCLConfig(backbone_config=backbone, id2label={0: "a", 1: "b", 2: "c"}),
        ),
        (
            SoftMCLForPreTraining,
            SoftMCLPreTrainedModel,
            lambda backbone: SoftMCLConfig(backbone_config=backbone, word_queue_size=4, sentence_queue_size=4),
        ),
    ],
    ids=["fckt", "lcl", "softmcl"],
)
def test_transformers_initialisation_gives_the_removed_copys_weights(
    model_class, base_class, make_config, initializer_range
):
    """Same seed, same weights, to the bit: recorded benchmark runs start from the same model."""
    backbone = BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=32, initializer_range=initializer_range,
    )  # fmt: skip
    config = make_config(backbone.to_dict())
    assert config.initializer_range == initializer_range
    assert "_init_weights" not in base_class.__dict__
    torch.manual_seed(0)
    now = model_class(config).state_dict()
    base_class._init_weights = _removed_init_weights
    try:
        torch.manual_seed(0)
        before = model_class(config).state_dict()
    finally:
        del base_class._init_weights
    assert now.keys() == before.keys()
    assert [key for key in now if not torch.equal(now[key], before[key])] == []


@pytest.mark.parametrize(
    "make_config",
    [
        lambda **kw: FCKTConfig(**kw),
        lambda **kw: LCLConfig(id2label={0: "a", 1: "b"}, **kw),
        lambda **kw: SoftMCLConfig(**kw),
    ],
    ids=["fckt", "lcl", "softmcl"],
)
def test_initializer_range_is_the_backbones_and_can_be_given(make_config, tmp_path):
    config = make_config(initializer_range=0.05)  # used to raise: the property had no setter
    assert config.initializer_range == config.backbone_config.initializer_range == 0.05
    config.save_pretrained(tmp_path)
    again = type(config).from_pretrained(tmp_path, initializer_range=0.07)
    assert again.initializer_range == again.backbone_config.initializer_range == 0.07


def test_a_backbone_config_object_is_copied_not_changed():
    backbone = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
    config = FCKTConfig(backbone_config=backbone, initializer_range=0.05)
    assert config.backbone_config.initializer_range == 0.05 and backbone.initializer_range == 0.02
