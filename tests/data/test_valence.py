"""Valence lexicons, EmoBank and the SoftMCL corpus encoding and collator."""

from __future__ import annotations

import math

import pytest
import torch
from tests.utils import assert_error, write
from datasets import Dataset
from transformers import AutoTokenizer

from hf_sentiment.data import (
    DataCollatorForSoftMCL,
    DataFormatError,
    ValenceLexicon,
    encode_valence_corpus,
    read_emobank,
    rescale,
)
from hf_sentiment.offline import offline_minilm_path


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


# ------------------------------------------------------------------------------- lexicons
def test_mapping_lexicon_rescales_and_lowercases():
    lexicon = ValenceLexicon({"Good": 3.0, "bad": -4, "meh": float("nan")}, scale=(-4, 4))
    assert lexicon["good"] == pytest.approx(0.875) and lexicon["GOOD"] == pytest.approx(0.875)
    assert lexicon["bad"] == 0.0
    assert "meh" not in lexicon and len(lexicon) == 2
    assert lexicon.report.skipped == {"missing or NaN ratings": 1}


def test_mapping_lexicon_rejects_off_scale_and_non_numbers():
    with pytest.raises(DataFormatError, match="outside the scale"):
        ValenceLexicon({"good": 5.0}, scale=(-4, 4))
    with pytest.raises(DataFormatError, match="not a number"):
        ValenceLexicon({"good": "very"}, scale=(-4, 4))
    with pytest.raises(ValueError, match="low < high"):
        ValenceLexicon({}, scale=(4, 4))


def test_vader_lexicon_is_embedded():
    lexicon = ValenceLexicon.from_vader()
    assert len(lexicon) > 7000
    assert lexicon["good"] > 0.6
    assert lexicon["horrible"] < 0.4
    assert all(0.0 <= value <= 1.0 for value in lexicon.values())


def test_csv_lexicon_errors_name_file_row_and_field(tmp_path):
    path = write(tmp_path, "lex.csv", "word,v\ngood,8\nbad,12\n")
    with pytest.raises(DataFormatError) as error:
        ValenceLexicon.from_csv(path, "word", "v", (1, 9))
    assert_error(error, path, 3, "v", "outside the scale")
    path = write(tmp_path, "lex2.csv", "word,rating\ngood,8\n")
    with pytest.raises(DataFormatError) as error:
        ValenceLexicon.from_csv(path, "word", "v", (1, 9))
    assert_error(error, path, 1, "v", "column missing")
    path = write(tmp_path, "lex3.csv", "word,v\ngood,8\n,5\n")
    with pytest.raises(DataFormatError) as error:
        ValenceLexicon.from_csv(path, "word", "v", (1, 9))
    assert_error(error, path, 3, "word", "non-empty word")


def test_csv_lexicon_counts_missing_ratings_and_keeps_the_word_null(tmp_path):
    path = write(tmp_path, "lex.csv", "\ufeffword,v\nnull,4.3\ngood,\nfine,NaN\nGood,7\n")
    lexicon = ValenceLexicon.from_csv(path, "word", "v", (1, 9))
    assert "null" in lexicon and "fine" not in lexicon
    assert lexicon.report.skipped == {"missing or NaN ratings": 2}
    assert lexicon["Good"] == pytest.approx(rescale(7, (1, 9)))


def test_warriner_restricted_to_a_split(shared_data):
    folder = shared_data / "warriner2013"
    full = ValenceLexicon.from_warriner(folder / "Ratings_Warriner_et_al.csv")
    train = ValenceLexicon.from_warriner(folder / "Ratings_Warriner_et_al.csv", folder / "split_crosslingual_train.txt")
    assert len(full) == 13915 - full.report.skipped["duplicate words after lower-casing (first kept)"]
    assert len(train) == 11463
    test_words = (folder / "split_crosslingual_test.txt").read_text().split()
    assert not any(word in train for word in test_words)
    assert "null" in full and full["aardvark"] == pytest.approx(rescale(6.26, (1, 9)))


# --------------------------------------------------------------------------------- EmoBank
def test_emobank_reads_splits_and_counts_missing_valence(tmp_path):
    path = write(
        tmp_path,
        "emobank.csv",
        'id,split,V,A,D,text\na,train,3.0,3,3,"Hello, there."\nb,test,5,3,3,x\nc,train,,3,3,y\n',
    )
    data, report = read_emobank(path, "train", return_report=True)
    assert data["id"] == ["a"] and data["valence"] == [0.5]
    assert report.skipped == {"missing or NaN ratings": 1}
    assert read_emobank(path)["valence"] == [0.5, 1.0]


@pytest.mark.parametrize(
    ("content", "row", "field", "fragment"),
    [
        ("id,split,V,A,D,text\na,train,6,3,3,x\n", 2, "V", "outside the scale"),
        ("id,split,V,A,D,text\na,train,3,3,3,  \n", 2, "text", "empty"),
        (
            "id,split,V,A,D,text\na,train,3,3,3,x\na,train,3,3,3,y\n",
            3,
            "id",
            "duplicate id",
        ),
        ("id,split,A,D,text\na,train,3,3,x\n", 1, "V", "column missing"),
    ],
)
def test_emobank_bad_rows(tmp_path, content, row, field, fragment):
    path = write(tmp_path, "emobank.csv", content)
    with pytest.raises(DataFormatError) as error:
        read_emobank(path)
    assert_error(error, path, row, field, fragment)


def test_emobank_real_counts(shared_data):
    train = read_emobank(shared_data / "emobank" / "emobank.csv", "train")
    assert len(train) == 8062
    assert min(train["valence"]) >= 0 and max(train["valence"]) <= 1


# -------------------------------------------------------------------------- corpus encoding
LEXICON = ValenceLexicon({"good": 8, "unbelievably": 6, "sad": 2}, scale=(1, 9))


def test_rated_words_get_one_slot_over_all_their_pieces(tokenizer):
    data = Dataset.from_dict({"text": ["An unbelievably good day, not sad."], "valence": [0.7]})
    encoded, report = encode_valence_corpus(data, tokenizer, LEXICON)
    row = encoded[0]
    tokens = tokenizer.convert_ids_to_tokens(row["input_ids"])
    pieces = [tokens[i] for i, slot in enumerate(row["word_index"]) if slot == 0]
    assert len(pieces) > 1 and "".join(p.removeprefix("##") for p in pieces) == "unbelievably"
    assert [tokens[i] for i, slot in enumerate(row["word_index"]) if slot == 1] == ["good"]
    assert [tokens[i] for i, slot in enumerate(row["word_index"]) if slot == 2] == ["sad"]
    assert row["word_valence"] == pytest.approx([rescale(6, (1, 9)), rescale(8, (1, 9)), rescale(2, (1, 9))])
    assert row["sentence_valence"] == pytest.approx(0.7)
    assert report.total == 0


def test_truncation_cuts_whole_words_and_counts_them(tokenizer):
    data = Dataset.from_dict({"text": ["good sad unbelievably good"]})
    # [CLS] good sad un ##bel... : the cut word must not be looked up by its first pieces
    encoded, report = encode_valence_corpus(data, tokenizer, LEXICON, max_length=5)
    assert len(encoded[0]["word_valence"]) == 2
    assert report.skipped["rated words cut by max_length"] == 2


def test_sentence_fallbacks_are_counted(tokenizer):
    data = Dataset.from_dict(
        {
            "text": ["good and sad", "nothing rated", "good"],
            "valence": [float("nan"), None, 0.2],
        }
    )
    encoded, report = encode_valence_corpus(data, tokenizer, LEXICON)
    assert encoded["sentence_valence"][0] == pytest.approx((rescale(8, (1, 9)) + rescale(2, (1, 9))) / 2)
    assert encoded["sentence_valence"][1] == -1.0
    assert encoded["sentence_valence"][2] == pytest.approx(0.2)
    assert report.skipped == {
        "NaN sentence valences (treated as unrated)": 1,
        "sentence valences from the lexicon mean of their words": 1,
        "sentences without a sentence valence (word level only)": 1,
    }
    none, report = encode_valence_corpus(data, tokenizer, LEXICON, sentence_fallback="none")
    assert none["sentence_valence"][0] == -1.0


def test_encoding_rejects_bad_arguments(tokenizer):
    data = Dataset.from_dict({"text": ["good"], "valence": [4.0]})
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        encode_valence_corpus(data, tokenizer, LEXICON)
    with pytest.raises(ValueError, match="no column 'sentence'"):
        encode_valence_corpus(data, tokenizer, LEXICON, text_column="sentence")
    with pytest.raises(ValueError, match="sentence_fallback"):
        encode_valence_corpus(data, tokenizer, LEXICON, sentence_fallback="zero")


def test_collator_pads_valences_and_masks_deterministically(tokenizer):
    data = Dataset.from_dict({"text": ["good", "an unbelievably good and sad day indeed"] * 2})
    encoded, _ = encode_valence_corpus(data, tokenizer, LEXICON)
    collator = DataCollatorForSoftMCL(tokenizer, mlm_probability=0.5)
    features = [encoded[i] for i in range(4)]
    batch = collator(features)
    length = batch["input_ids"].shape[1]
    assert batch["word_index"].shape == (4, length)
    assert batch["word_valence"].shape == (4, 3)
    assert batch["word_valence"][0].tolist()[1:] == [-1.0, -1.0]
    assert (batch["word_index"][0, len(features[0]["input_ids"]) :] == -1).all()
    masked = batch["labels"] != -100
    assert masked.any()
    original = torch.where(masked, batch["labels"], batch["input_ids"])
    assert original[1, : len(features[1]["input_ids"])].tolist() == features[1]["input_ids"]
    # the same batch is masked the same way every time, another batch differently
    torch.testing.assert_close(collator(features)["labels"], batch["labels"])
    assert not torch.equal(collator(features[::-1])["labels"], batch["labels"].flip(0))
    with pytest.raises(ValueError, match="word_valence"):
        collator(
            [
                {
                    "input_ids": [101, 102],
                    "word_index": [-1, -1],
                    "sentence_valence": -1.0,
                }
            ]
        )


def test_real_vader_corpus_rates_sentiment_words(tokenizer):
    data = Dataset.from_dict({"text": ["What a great, lovely surprise!", "The table is brown."]})
    encoded, _ = encode_valence_corpus(data, tokenizer, ValenceLexicon.from_vader())
    assert len(encoded[0]["word_valence"]) == 3 and min(encoded[0]["word_valence"]) > 0.5
    assert encoded[1]["word_valence"] == [] and encoded[1]["sentence_valence"] == -1.0
    assert not math.isnan(encoded[0]["sentence_valence"])


def test_bad_sentence_valence_names_row_and_column(tokenizer):
    data = Dataset.from_dict({"text": ["good", "sad"], "score": [0.5, 3.0]})
    with pytest.raises(ValueError, match=r"row 1, column 'score'.*outside \[0, 1\]"):
        encode_valence_corpus(data, tokenizer, LEXICON, valence_column="score")
    with pytest.raises(ValueError, match="no column 'rating'"):
        encode_valence_corpus(data, tokenizer, LEXICON, valence_column="rating")
    plain, _ = encode_valence_corpus(data, tokenizer, LEXICON)  # no 'valence' column: word level only
    assert plain["sentence_valence"][0] == pytest.approx(rescale(8, (1, 9)))
