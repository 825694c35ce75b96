"""Tests for the SentiBench reader (``hf_sentiment.data.sentibench``) and harness
(``hf_sentiment.evaluation.sentibench``).

Reader tests write small SentiBench trees to ``tmp_path``; real-data tests read the shared data
(fixture ``shared_data``). Model tests use the tiny random Llama of ``tiny_causal_lm`` and compare
the harness's batched, left-padded computations with direct, unpadded ones.
"""

from __future__ import annotations

import copy
import json
import logging
import statistics
from pathlib import Path

import pytest
import torch
from tests.utils import assert_error, write
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer
from transformers import GPT2Config, GPT2LMHeadModel

from hf_sentiment.causal_lm import generate_answers, label_token_ids, score_labels
from hf_sentiment.data.errors import DataFormatError
from hf_sentiment.data.sentibench import (
    SENTIBENCH_TASKS,
    SentiBenchExample,
    get_sentibench_task,
    read_sentibench,
    resolve_sentibench_root,
)
from hf_sentiment.evaluation.sentibench import (
    PREDICTIONS_JSONL,
    RESULTS_JSON,
    RESULTS_MARKDOWN,
    SentiBenchResults,
    SentiBenchTaskResult,
    build_sentibench_prompts,
    evaluate_sentibench,
    macro_f1,
    micro_f1,
    parse_answer,
    render_answer,
)

BOM = "\ufeff"


def bench_file(root: Path, task: str, split: str, content: list | str | bytes, bom: bool = True) -> Path:
    """Write one SentiBench file under ``root`` (JSON lists get a BOM, as the real files have)."""
    folder = root / SENTIBENCH_TASKS[task].folder
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(content, list):
        content = (BOM if bom else "") + json.dumps(content, ensure_ascii=False)
    return write(folder, f"{split}.json", content)


def sst2_rows(n: int, offset: int = 0) -> list[dict]:
    return [{"label": ("positive", "negative")[i % 2], "sentence": f"Sentence number {i + offset}."} for i in range(n)]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_causal_lm(tokenizer, seed=0)


@pytest.fixture(scope="module")
def gpt2(tokenizer):
    """A tiny random GPT-2: absolute position embeddings, so left padding must come with position ids."""
    torch.manual_seed(1)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return GPT2LMHeadModel(config).eval()


@pytest.fixture()
def small_bench(tmp_path) -> Path:
    """A SentiBench tree with a tiny sst2 (6 train, 5 test rows)."""
    bench_file(tmp_path, "sst2", "train", sst2_rows(6))
    bench_file(tmp_path, "sst2", "test", sst2_rows(5, offset=100))
    return tmp_path


# --- registry -----------------------------------------------------------------------------------


def test_registry_describes_the_twelve_datasets():
    assert len(SENTIBENCH_TASKS) == 12
    kinds = [task.kind for task in SENTIBENCH_TASKS.values()]
    assert kinds.count("classification") == 8 and kinds.count("extraction") == 4
    for task in SENTIBENCH_TASKS.values():
        assert task.metric == ("macro_f1" if task.kind == "classification" else "micro_f1")
        assert bool(task.labels) == (task.kind == "classification")
        assert bool(task.fields) == (task.kind == "extraction")
        assert task.instruction and task.answer_format in task.instruction
        assert all(label == label.lower().strip() for label in task.labels)
    assert SENTIBENCH_TASKS["atsa_rest16"].splits == ("train", "test")
    assert SENTIBENCH_TASKS["opener"].fields == ("holder", "target", "expression", "polarity")
    assert get_sentibench_task("sc/sst2") is SENTIBENCH_TASKS["sst2"]
    with pytest.raises(ValueError, match="unknown SentiBench task 'sst5'.*sst2"):
        get_sentibench_task("sst5")


# --- reader: good files -------------------------------------------------------------------------


def test_read_classification_with_and_without_bom(tmp_path):
    bench_file(
        tmp_path,
        "sst2",
        "test",
        [{"label": "positive", "sentence": "Fine."}, {"label": "Negative", "sentence": "Bad."}],
    )
    bench_file(tmp_path, "twitter", "test", [{"label": "neutral", "sentence": "Meh."}], bom=False)
    examples = read_sentibench(tmp_path, "sst2", "test")
    assert examples == [
        SentiBenchExample(sentence="Fine.", label="positive"),
        SentiBenchExample(sentence="Bad.", label="negative"),
    ]
    assert read_sentibench(tmp_path, "sc/twitter", "test")[0].label == "neutral"
    # The shared data folder (parent of sentibench/) is accepted too.
    (tmp_path / "shared" / "sentibench").mkdir(parents=True)
    (tmp_path / "sc").rename(tmp_path / "shared" / "sentibench" / "sc")
    assert resolve_sentibench_root(tmp_path / "shared") == tmp_path / "shared" / "sentibench"
    assert read_sentibench(tmp_path / "shared", "sst2", "test") == examples


def test_read_pstance_and_intimacy_labels(tmp_path):
    bench_file(tmp_path, "pstance", "val", [{"sentence": "Go Joe", "target": "Joe Biden", "label": "FAVOR"}])
    bench_file(
        tmp_path,
        "intimacy",
        "train",
        [
            {"sentence": "hi", "label": "Not Intimate", "label_score": 1.0},
            {"sentence": "love u", "label": "Highly Intimate", "label_score": 4.2},
            {"sentence": "hm", "label": "Moderately Intimate", "label_score": 2.4},
        ],
    )
    (stance,) = read_sentibench(tmp_path, "pstance", "val")
    assert (stance.label, stance.target) == ("favor", "Joe Biden")
    labels = [example.label for example in read_sentibench(tmp_path, "intimacy", "train")]
    assert labels == ["not intimate", "highly intimate", "moderately intimate"]


ASPECT_ROW = {
    "ID": "r:1",
    "sentence": "Great Sushi, rude service.",
    "aspects": [
        {"from": "6", "to": "11", "target": "Sushi", "category": "FOOD#QUALITY", "polarity": "positive"},
        {"from": "6", "to": "11", "target": "Sushi", "category": "FOOD#STYLE_OPTIONS", "polarity": "positive"},
        {"from": "18", "to": "25", "target": "service", "category": "SERVICE#GENERAL", "polarity": "negative"},
        {"from": "0", "to": "0", "target": "NULL", "category": "RESTAURANT#GENERAL", "polarity": "positive"},
        {"from": "0", "to": "0", "target": "NULL", "category": "FOOD#QUALITY", "polarity": "positive"},
    ],
}


def test_read_atsa_keeps_explicit_terms_and_counts_the_rest(tmp_path):
    bench_file(tmp_path, "atsa_rest16", "test", [ASPECT_ROW, {"ID": "r:2", "sentence": "Ok.", "aspects": []}])
    examples, report = read_sentibench(tmp_path, "atsa_rest16", "test", return_report=True)
    assert examples[0].tuples == (("sushi", "positive"), ("service", "negative"))
    assert examples[0].id == "r:1" and examples[1].tuples == ()
    assert report.skipped == {
        "implicit aspects (target NULL) left out": 2,
        "tuples given twice in one sentence (kept once)": 1,
    }


def test_read_acsa_uses_categories_including_implicit_aspects(tmp_path):
    bench_file(tmp_path, "acsa_rest16", "train", [ASPECT_ROW])
    (example,), report = read_sentibench(tmp_path, "acsa_rest16", "train", return_report=True)
    assert example.tuples == (
        ("food quality", "positive"),
        ("food style_options", "positive"),
        ("service general", "negative"),
        ("restaurant general", "positive"),
    )
    assert report.skipped == {"tuples given twice in one sentence (kept once)": 1}


def test_read_asqp_quads(tmp_path):
    row = {
        "sentence": "The  Ambiance was peaceful .",
        "quards_str": "ignored",
        "quards": [
            {"aspect": "Ambiance", "category": "ambience general", "sentiment": "positive", "opinion": "peaceful"},
            {"aspect": "NULL", "category": "restaurant general", "sentiment": "Negative", "opinion": "not  great"},
        ],
    }
    bench_file(tmp_path, "asqp_rest16", "val", [row])
    (example,) = read_sentibench(tmp_path, "asqp_rest16", "val")
    assert example.tuples == (
        ("ambiance", "ambience general", "peaceful", "positive"),
        ("null", "restaurant general", "not great", "negative"),
    )


OPENER_ROW = {
    "sent_id": "opener_en/1",
    "sentence": "They kept us happy , truly .",
    "opinions": [
        {
            "Source": [["us"], ["10:12"]],
            "Target": [["They"], ["0:4"]],
            "Polar_expression": [["kept", "happy"], ["5:9", "13:18"]],
            "Polarity": "Positive",
            "Intensity": "Standard",
        },
        {
            "Source": [[], []],
            "Target": [[], []],
            "Polar_expression": [["truly"], ["21:26"]],
            "Polarity": "Positive",
            "Intensity": "Strong",
        },
    ],
}


def test_read_opener_joins_spans_and_marks_missing_parts(tmp_path):
    bench_file(
        tmp_path, "opener", "test", [OPENER_ROW, {"sent_id": "opener_en/2", "sentence": "Rooms .", "opinions": []}]
    )
    first, second = read_sentibench(tmp_path, "opener", "test")
    assert first.tuples == (("us", "they", "kept happy", "positive"), ("null", "null", "truly", "positive"))
    assert (first.id, second.tuples) == ("opener_en/1", ())


def test_read_split_and_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no SentiBench data"):
        read_sentibench(tmp_path, "sst2", "test")
    bench_file(tmp_path, "sst2", "train", sst2_rows(2))
    with pytest.raises(FileNotFoundError, match="test.json"):
        read_sentibench(tmp_path, "sst2", "test")
    with pytest.raises(ValueError, match="atsa_rest16 has no 'val' split"):
        read_sentibench(tmp_path, "atsa_rest16", "val")
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        read_sentibench(tmp_path, "sst2", "dev")


# --- reader: bad files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, fragment",
    [
        (BOM + '[{"label": "positive", "sentence": "ok"}', "malformed JSON"),
        (b'\xef\xbb\xbf[{"label": "positive", "sentence": "caf\xe9"}]', "not UTF-8: byte 0xe9"),
        (BOM + '{"label": "positive", "sentence": "ok"}', "expected a JSON list"),
        (BOM + "[]", "the JSON list is empty"),
    ],
    ids=["truncated-json", "latin-1", "not-a-list", "empty"],
)
def test_read_bad_file(tmp_path, content, fragment):
    path = bench_file(tmp_path, "sst2", "test", content)
    with pytest.raises(DataFormatError) as excinfo:
        read_sentibench(tmp_path, "sst2", "test")
    assert_error(excinfo, path, None, None, fragment)


def aspect_row(**changes) -> dict:
    aspect = {"from": "6", "to": "11", "target": "Sushi", "category": "FOOD#QUALITY", "polarity": "positive"}
    aspect.update(changes)
    return {"ID": "x", "sentence": "Great Sushi.", "aspects": [aspect]}


def opener_row(**changes) -> dict:
    opinion = {
        "Source": [[], []],
        "Target": [["Rooms"], ["0:5"]],
        "Polar_expression": [["clean"], ["10:15"]],
        "Polarity": "Positive",
    }
    opinion.update(changes)
    return {"sent_id": "o", "sentence": "Rooms are clean .", "opinions": [opinion]}


GOOD_SST2 = {"label": "positive", "sentence": "Good."}


@pytest.mark.parametrize(
    "task, rows, field, fragment",
    [
        ("sst2", [GOOD_SST2, {"label": "great", "sentence": "x"}], "label", "unknown label 'great'"),
        ("sst2", [GOOD_SST2, {"sentence": "x"}], "label", "missing"),
        ("sst2", [GOOD_SST2, {"label": 1, "sentence": "x"}], "label", "expected a string, got int"),
        ("sst2", [GOOD_SST2, {"label": "positive", "sentence": "  "}], "sentence", "empty or whitespace-only"),
        ("sst2", [GOOD_SST2, "positive: x"], None, "expected a JSON object, got str"),
        (
            "intimacy",
            [{"label": "Not Intimate", "sentence": "a"}, {"label": "Very Intimate", "sentence": "b"}],
            "label",
            "unknown label",
        ),
        (
            "pstance",
            [{"label": "FAVOR", "sentence": "a", "target": "Joe"}, {"label": "FAVOR", "sentence": "b"}],
            "target",
            "missing",
        ),
        (
            "atsa_rest16",
            [aspect_row(), {"ID": "y", "sentence": "x", "aspects": {}}],
            "aspects",
            "expected a list, got dict",
        ),
        (
            "atsa_rest16",
            [aspect_row(), aspect_row(polarity="great")],
            "aspects[0].polarity",
            "unknown polarity 'great'",
        ),
        ("atsa_rest16", [aspect_row(), aspect_row(to="10")], "aspects[0].target", "'Sush', not the term 'Sushi'"),
        ("atsa_rest16", [aspect_row(), aspect_row(**{"from": "six"})], "aspects[0].from", "offset is not"),
        ("acsa_rest16", [aspect_row(), aspect_row(category=None)], "aspects[0].category", "missing"),
        ("opener", [opener_row(), opener_row(Polarity="Great")], "opinions[0].Polarity", "unknown polarity"),
        (
            "opener",
            [opener_row(), opener_row(Target=[["Rooms"], ["1:6"]])],
            "opinions[0].Target[1][0]",
            "not the term 'Rooms'",
        ),
        ("opener", [opener_row(), opener_row(Source=[["us"]])], "opinions[0].Source", "[[texts], [spans]]"),
        ("opener", [opener_row(), opener_row(Source=[["us"], []])], "opinions[0].Source", "1 texts but 0 spans"),
    ],
)
def test_read_bad_row(tmp_path, task, rows, field, fragment):
    path = bench_file(tmp_path, task, "test", rows)
    with pytest.raises(DataFormatError) as excinfo:
        read_sentibench(tmp_path, task, "test")
    assert_error(excinfo, path, 2, field, fragment)


def test_read_bad_asqp_row(tmp_path):
    quad = {"aspect": "food", "category": "food quality", "sentiment": "positive", "opinion": "good"}
    rows = [
        {"sentence": "good food", "quards": [quad]},
        {"sentence": "bad food", "quards": [quad, {**quad, "opinion": None}]},
    ]
    path = bench_file(tmp_path, "asqp_rest16", "test", rows)
    with pytest.raises(DataFormatError) as excinfo:
        read_sentibench(tmp_path, "asqp_rest16", "test")
    assert_error(excinfo, path, 2, "quards[1].opinion", "missing")


# --- reader: real data --------------------------------------------------------------------------

REAL_COUNTS = {
    "imdb": (3000, 1000),
    "yelp2": (3000, 1000),
    "sst2": (3000, 1821),
    "twitter": (3000, 1000),
    "irony18": (3000, 784),
    "tweeteval": (3000, 1421),
    "pstance": (3000, 2157),
    "intimacy": (1287, 396),
    "atsa_rest16": (2000, 676),
    "acsa_rest16": (2000, 676),
    "asqp_rest16": (1264, 544),
    "opener": (1744, 499),
}


@pytest.mark.parametrize("name", list(REAL_COUNTS))
def test_real_counts(shared_data, name):
    train = read_sentibench(shared_data, name, "train")
    test = read_sentibench(shared_data / "sentibench", name, "test")
    assert (len(train), len(test)) == REAL_COUNTS[name]
    task = SENTIBENCH_TASKS[name]
    if task.kind == "classification":
        assert {example.label for example in test} == set(task.labels)
    else:
        assert all(len(row) == task.arity for example in test for row in example.tuples)
        assert sum(bool(example.tuples) for example in test) > len(test) / 2


def test_real_atsa_report_accounts_for_every_aspect(shared_data):
    path = shared_data / "sentibench" / "absa" / "atsa_rest16" / "test.json"
    raw = json.loads(path.read_text(encoding="utf-8-sig"))
    examples, report = read_sentibench(shared_data, "atsa_rest16", "test", return_report=True)
    implicit = sum(aspect["target"] == "NULL" for item in raw for aspect in item["aspects"])
    assert report.skipped["implicit aspects (target NULL) left out"] == implicit > 0
    kept = sum(len(example.tuples) for example in examples)
    assert kept + report.total == sum(len(item["aspects"]) for item in raw)


@pytest.mark.parametrize("style", ["paper", "hf_sentiment"])
@pytest.mark.parametrize("name", ["atsa_rest16", "acsa_rest16", "asqp_rest16", "opener"])
def test_real_gold_answers_survive_render_and_parse(shared_data, name, style):
    # Real terms hold commas, parentheses and ';' ("appetizer of oysters, lobster, crab (small size)").
    task = SENTIBENCH_TASKS[name]
    for example in read_sentibench(shared_data, name, "train"):
        assert parse_answer(render_answer(task, example, style), name, style) == set(example.tuples)


# --- prompts ------------------------------------------------------------------------------------


def synthetic(n: int, word: str) -> list[SentiBenchExample]:
    return [SentiBenchExample(sentence=f"{word} {i} here.", label=("negative", "positive")[i % 2]) for i in range(n)]


@pytest.mark.parametrize("style", ["paper", "hf_sentiment"])
def test_prompts_use_k_train_demos_deterministically_per_seed(style):
    train, test = synthetic(12, "train"), synthetic(6, "test")
    form = SENTIBENCH_TASKS["sst2"].prompt_format(style)
    key = form.answer_key
    prompts = build_sentibench_prompts("sst2", train, test, k=3, seed=42, prompt_style=style)
    assert len(prompts) == len(test)
    for prompt, example in zip(prompts, test):
        assert len(prompt.demo_indices) == len(set(prompt.demo_indices)) == 3
        assert prompt.text.startswith(form.instruction + "\n\nSentence: train ")
        assert prompt.text.endswith(f"\n\nSentence: {example.sentence}\n{key}")
        assert prompt.text.count("Sentence: ") == 4 and prompt.text.count("Sentence: test") == 1
        for index in prompt.demo_indices:
            assert f"Sentence: {train[index].sentence}\n{key} {train[index].label}\n\n" in prompt.text
    assert build_sentibench_prompts("sst2", train, test, k=3, seed=42, prompt_style=style) == prompts
    # The first N prompts do not depend on how many follow (max_examples keeps them).
    assert build_sentibench_prompts("sst2", train, test[:2], k=3, seed=42, prompt_style=style) == prompts[:2]
    # The style never changes which demonstrations are drawn.
    other_style = "hf_sentiment" if style == "paper" else "paper"
    restyled = build_sentibench_prompts("sst2", train, test, k=3, seed=42, prompt_style=other_style)
    assert [p.demo_indices for p in restyled] == [p.demo_indices for p in prompts]
    other = build_sentibench_prompts("sst2", train, test, k=3, seed=52, prompt_style=style)
    assert [p.demo_indices for p in other] != [p.demo_indices for p in prompts]
    # Per-example draws: not every test example sees the same demonstrations.
    assert len({p.demo_indices for p in prompts}) > 1


def test_prompts_zero_shot_pstance_and_bad_k():
    task = SENTIBENCH_TASKS["pstance"]
    example = SentiBenchExample(sentence="Go Joe", label="favor", target="Joe Biden")
    (prompt,) = build_sentibench_prompts(task, [example], [example], k=0, seed=1, prompt_style="hf_sentiment")
    assert prompt.text == f"{task.instruction}\n\nTarget: Joe Biden\nSentence: Go Joe\nAnswer:"
    (prompt,) = build_sentibench_prompts(task, [example], [example], k=1, seed=1, prompt_style="hf_sentiment")
    assert "Target: Joe Biden\nSentence: Go Joe\nAnswer: favor\n\n" in prompt.text
    with pytest.raises(ValueError, match="k=2 .* has 1 rows"):
        build_sentibench_prompts(task, [example], [example], k=2, seed=1)
    with pytest.raises(ValueError, match="non-negative"):
        build_sentibench_prompts(task, [example], [example], k=-1, seed=1)


def test_render_extraction_answers():
    task = SENTIBENCH_TASKS["atsa_rest16"]
    example = SentiBenchExample(sentence="x", tuples=(('say "hi", (ok)', "positive"), ("b", "negative")))
    assert render_answer(task, example, "hf_sentiment") == '("say \\"hi\\", (ok)", "positive"); ("b", "negative")'
    assert render_answer(task, SentiBenchExample(sentence="x"), "hf_sentiment") == "None"
    # The paper's scripts write Python's list of tuples; nothing to extract is [].
    assert render_answer(task, example) == render_answer(task, example, "paper") == repr(list(example.tuples))
    assert render_answer(task, SentiBenchExample(sentence="x")) == "[]"


# --- answer parser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (' ("Battery  Life", "POSITIVE")', {("battery life", "positive")}),
        ('("a","b");("c" , "d")', {("a", "b"), ("c", "d")}),
        ("(a, b); ( c ,D )", {("a", "b"), ("c", "d")}),
        ("[('sushi', 'positive'), ('rice', 'negative')]", {("sushi", "positive"), ("rice", "negative")}),
        ('("x, y (z)", "pos")', {("x, y (z)", "pos")}),
        ("(\u201ccurly\u201d, \u201cpos\u201d)", {("curly", "pos")}),
        ('("a", "b"); ("a", "B")', {("a", "b")}),
        ('("a", "b")\n\nSentence: next one\nAnswer: ("c", "d")', {("a", "b")}),
        ('("a", "b")\nSentence: next one', {("a", "b")}),
        ('junk ("a", "b", "c") ("d", "") ("e", "f"', set()),
        ('text (not a tuple ("a", "b") tail', {("a", "b")}),
        ("None", set()),
        (" none.", set()),
        ("[]", set()),
        ("", set()),
        ("the model rambles without structure", set()),
    ],
)
def test_parse_answer(text, expected):
    assert parse_answer(text, 2) == expected


def test_parse_answer_checks_arity():
    answer = '("null", "food general", "great", "positive"); ("a", "b")'
    assert parse_answer(answer, 4) == {("null", "food general", "great", "positive")}
    assert parse_answer(answer, 2) == {("a", "b")}
    with pytest.raises(ValueError):
        parse_answer(answer, 0)


# --- metrics ------------------------------------------------------------------------------------


def test_micro_f1_by_hand():
    gold = [[("a", "pos"), ("b", "neg")], [("c", "pos")], [], [("e", "neu")]]
    pred = [[("a", "pos"), ("b", "pos")], [], [("d", "neg")], [("e", "neu"), ("e", "neu")]]
    # tp = 2 (a, e); gold = 4; predicted = 4 (the repeated e counts once).
    assert micro_f1(gold, pred) == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 2, "n_gold": 4, "n_pred": 4}
    scores = micro_f1([[("a", "pos")], [("b", "neg")]], [[("a", "pos")], []])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (1.0, 0.5, pytest.approx(2 / 3))
    assert micro_f1([[], []], [[], []])["f1"] == 1.0
    assert micro_f1([[]], [[("x", "pos")]])["f1"] == 0.0
    with pytest.raises(ValueError, match="2 sentences"):
        micro_f1([[], []], [[]])


def test_macro_f1_by_hand():
    labels = ("negative", "positive", "neutral")
    gold = ["positive", "positive", "negative", "negative", "neutral"]
    pred = ["positive", "negative", "negative", "negative", "positive"]
    # negative: P 2/3, R 1 -> 0.8; positive: P 1/2, R 1/2 -> 0.5; neutral: 0.
    scores = macro_f1(gold, pred, labels)
    assert scores["macro_f1"] == pytest.approx((0.8 + 0.5 + 0.0) / 3)
    assert scores["accuracy"] == pytest.approx(0.6)
    # A label that occurs in neither gold nor predictions is not averaged in.
    assert macro_f1(["positive", "negative"], ["positive", "negative"], labels)["macro_f1"] == 1.0
    with pytest.raises(ValueError, match="not among"):
        macro_f1(["positive"], ["great"], labels)


# --- label scoring with the tiny model ----------------------------------------------------------

PROMPTS = [
    "Sentence: The food was great.\nAnswer:",
    "Review the text.\n\nSentence: A terrible, boring film. I hated it.\nAnswer:",
    "Sentence: ok\nAnswer:",
]


def direct_log_probs(model, ids: list[int]) -> torch.Tensor:
    """Log-probabilities ``(len(ids), vocab)`` of one unpadded sequence."""
    with torch.no_grad():
        return torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_first_token_scores_match_a_direct_computation(request, tokenizer, architecture):
    model = request.getfixturevalue("model" if architecture == "llama" else "gpt2")
    labels = label_token_ids(tokenizer, ("negative", "positive", "neutral"), anchor="Answer:")
    first = [ids[0] for ids in labels]
    assert len(set(first)) == 3
    assert first == [
        tokenizer(f" {label}", add_special_tokens=False)["input_ids"][0]
        for label in ("negative", "positive", "neutral")
    ]
    prompt_ids = [tokenizer(prompt)["input_ids"] for prompt in PROMPTS]
    assert len({len(ids) for ids in prompt_ids}) == 3  # the batch needs padding
    scores, method = score_labels(model, tokenizer, prompt_ids, labels, batch_size=3)
    assert method == "first_token" and scores.shape == (3, 3)
    for row, ids in enumerate(prompt_ids):
        expected = direct_log_probs(model, ids)[-1, first]
        torch.testing.assert_close(scores[row], expected, atol=1e-4, rtol=1e-4)
        logits = model(torch.tensor([ids])).logits[0, -1, first]
        assert scores[row].argmax() == logits.argmax()


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_shared_first_token_falls_back_to_summed_log_probability(request, tokenizer, architecture):
    model = request.getfixturevalue("model" if architecture == "llama" else "gpt2")
    names = ("not intimate", "moderately intimate", "highly intimate")
    labels = label_token_ids(tokenizer, names, anchor="Answer:")
    assert len({ids[0] for ids in labels}) < len(labels), "the test needs labels that share a first token"
    prompt_ids = [tokenizer(prompt)["input_ids"] for prompt in PROMPTS]
    scores, method = score_labels(model, tokenizer, prompt_ids, labels, batch_size=2)
    assert method == "sum_logprob" and scores.shape == (3, 3)
    for row, ids in enumerate(prompt_ids):
        for column, label in enumerate(labels):
            log_probs = direct_log_probs(model, ids + label)
            expected = sum(log_probs[len(ids) - 1 + j, token] for j, token in enumerate(label))
            assert scores[row, column].item() == pytest.approx(expected.item(), abs=1e-3)


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_batched_generation_matches_one_prompt_at_a_time(request, tokenizer, architecture):
    model = request.getfixturevalue("model" if architecture == "llama" else "gpt2")
    prompt_ids = [tokenizer(prompt)["input_ids"] for prompt in PROMPTS]
    single = [generate_answers(model, tokenizer, [ids], max_new_tokens=6)[0] for ids in prompt_ids]
    # Batched by length (the prompts are not in length order), the answers come back in prompt order.
    for batch_size in (2, 3):
        batched = generate_answers(model, tokenizer, prompt_ids, max_new_tokens=6, batch_size=batch_size)
        assert batched == single and len(batched) == 3


# --- the harness --------------------------------------------------------------------------------


def test_harness_predictions_equal_the_argmax_of_direct_logits(model, tokenizer, small_bench):
    results = evaluate_sentibench(
        model, tokenizer, small_bench, tasks="sst2", seeds=(7,), k=2, batch_size=2, show_progress=False
    )
    result = results.tasks["sst2"]
    assert result.scoring == "first_token" and result.n_examples == 5
    train = read_sentibench(small_bench, "sst2", "train")
    test = read_sentibench(small_bench, "sst2", "test")
    first = [ids[0] for ids in label_token_ids(tokenizer, ("negative", "positive"), anchor="Label:")]
    expected = []
    for prompt in build_sentibench_prompts("sst2", train, test, k=2, seed=7):
        logits = model(torch.tensor([tokenizer(prompt.text)["input_ids"]])).logits[0, -1, first]
        expected.append(("negative", "positive")[int(logits.argmax())])
    assert result.predictions[7] == expected
    assert result.scores[7] == pytest.approx(
        macro_f1([e.label for e in test], expected, ("negative", "positive"))["macro_f1"]
    )


@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_harness_runs_a_peft_wrapped_model(model, tokenizer, small_bench):
    # A fresh LoRA adapter starts as the identity (B = 0), so the predictions must not change.
    peft = pytest.importorskip("peft")
    reference = evaluate_sentibench(model, tokenizer, small_bench, tasks=["sst2"], seeds=(5,), k=2, show_progress=False)
    config = peft.LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    wrapped = peft.get_peft_model(copy.deepcopy(model), config)
    results = evaluate_sentibench(wrapped, tokenizer, small_bench, tasks=["sst2"], seeds=(5,), k=2, show_progress=False)
    assert results.tasks["sst2"].predictions == reference.tasks["sst2"].predictions


def test_harness_pads_with_eos_when_the_tokenizer_has_no_pad_token(model, tokenizer, small_bench, caplog):
    reference = evaluate_sentibench(model, tokenizer, small_bench, tasks=["sst2"], seeds=(1,), k=2, show_progress=False)
    no_pad = tiny_tokenizer()
    no_pad.pad_token = None
    assert no_pad.pad_token_id is None
    with caplog.at_level(logging.WARNING, logger="hf_sentiment.causal_lm"):
        results = evaluate_sentibench(model, no_pad, small_bench, tasks=["sst2"], seeds=(1,), k=2, show_progress=False)
    assert "no pad token" in caplog.text
    assert no_pad.pad_token is None  # the caller's tokenizer is left alone
    assert results.tasks["sst2"].predictions == reference.tasks["sst2"].predictions
    no_pad.eos_token = None
    with pytest.raises(ValueError, match="neither a pad token nor an eos token"):
        evaluate_sentibench(model, no_pad, small_bench, tasks=["sst2"], seeds=(1,), k=2, show_progress=False)


def test_harness_with_a_chat_template(model, small_bench):
    chat = tiny_tokenizer()
    chat.chat_template = (
        "{% for m in messages %}<s>{{ m['content'] }}</s>{% endfor %}{% if add_generation_prompt %}<s>{% endif %}"
    )
    results = evaluate_sentibench(
        model, chat, small_bench, tasks=["sst2"], seeds=(3,), k=1, use_chat_template=True, show_progress=False
    )
    train = read_sentibench(small_bench, "sst2", "train")
    test = read_sentibench(small_bench, "sst2", "test")
    first = [ids[0] for ids in label_token_ids(chat, ("negative", "positive"), anchor="", prefix="")]
    expected = []
    for prompt in build_sentibench_prompts("sst2", train, test, k=1, seed=3):
        text = f"<s>{prompt.text}</s><s>"
        ids = chat(text, add_special_tokens=False)["input_ids"]
        expected.append(("negative", "positive")[int(model(torch.tensor([ids])).logits[0, -1, first].argmax())])
    assert results.tasks["sst2"].predictions[3] == expected


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"tasks": ["sst2", "sst5"]}, ValueError, "unknown SentiBench task 'sst5'"),
        ({"tasks": ["sst2", "sc/sst2"]}, ValueError, "more than once"),
        ({"tasks": []}, ValueError, "tasks is empty"),
        ({"k": 7}, ValueError, "k=7 demonstrations asked for, but the sst2 train split has 6 rows"),
        ({"k": -1}, ValueError, "non-negative"),
        ({"seeds": ()}, ValueError, "seeds must be a non-empty"),
        ({"seeds": (1, 1)}, ValueError, "seeds repeat"),
        ({"max_examples": 0}, ValueError, "max_examples must be a positive integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"max_new_tokens": 0}, ValueError, "max_new_tokens must be a positive integer"),
        ({"use_chat_template": True}, ValueError, "no chat template"),
        ({"tasks": ["imdb"]}, FileNotFoundError, "imdb train file not found"),
    ],
)
def test_harness_rejects_bad_arguments(model, tokenizer, small_bench, kwargs, error, fragment):
    arguments = {"tasks": ["sst2"], "seeds": (1,), "show_progress": False, **kwargs}
    with pytest.raises(error, match=fragment):
        evaluate_sentibench(model, tokenizer, small_bench, **arguments)


def test_harness_rejects_a_folder_without_sentibench(model, tokenizer, tmp_path):
    with pytest.raises(FileNotFoundError, match="no SentiBench data"):
        evaluate_sentibench(model, tokenizer, tmp_path, tasks=["sst2"], show_progress=False)


def test_results_aggregate_and_render():
    results = SentiBenchResults(
        tasks={
            "sst2": SentiBenchTaskResult("sst2", "basic", "macro_f1", 10, scores={42: 0.5, 52: 0.7}),
            "opener": SentiBenchTaskResult("opener", "fine-grained", "micro_f1", 10, scores={42: 0.2, 52: 0.4}),
            "irony18": SentiBenchTaskResult("irony18", "multifaceted", "macro_f1", 10, scores={42: 0.3}),
        },
        settings={"seeds": [42, 52], "k": 4, "max_examples": 10},
    )
    sst2 = results.tasks["sst2"]
    assert sst2.mean == pytest.approx(0.6) and sst2.std == pytest.approx(statistics.stdev([0.5, 0.7]))
    assert results.tasks["irony18"].std == 0.0
    assert results.mean == pytest.approx((0.6 + 0.3 + 0.3) / 3)
    assert list(results.group_means) == ["basic", "multifaceted", "fine-grained"]
    table = results.to_markdown()
    assert "| dataset | metric | mean ± std | seed 42 | seed 52 |" in table
    assert "| sst2 | macro_f1 | 60.00 ± 14.14 | 50.00 | 70.00 |" in table
    assert "| irony18 | macro_f1 | 30.00 ± 0.00 | 30.00 |  |" in table
    assert f"**{100 * results.mean:.2f}**" in table


def test_results_read_back_and_merge(tmp_path):
    settings = {"seeds": [42, 52], "k": 4, "max_examples": 10}
    sst2 = SentiBenchTaskResult("sst2", "basic", "macro_f1", 10, scores={42: 0.5, 52: 0.7}, scoring="first_token")
    sst2.details = {42: {"accuracy": 0.6}, 52: {"accuracy": 0.8}}
    opener = SentiBenchTaskResult("opener", "fine-grained", "micro_f1", 10, scores={42: 0.2, 52: 0.4})
    one, two = SentiBenchResults({"sst2": sst2}, settings), SentiBenchResults({"opener": opener}, settings)
    read = SentiBenchResults.from_json(one.to_json(tmp_path / "sst2.json"))
    assert read.tasks["sst2"].scores == {42: 0.5, 52: 0.7} and read.tasks["sst2"].details[52] == {"accuracy": 0.8}
    merged = SentiBenchResults.merge([read, two])
    assert merged.to_dict() == SentiBenchResults({"sst2": sst2, "opener": opener}, settings).to_dict()
    with pytest.raises(ValueError, match="different settings \\(max_examples\\)"):
        SentiBenchResults.merge([one, SentiBenchResults({"opener": opener}, {**settings, "max_examples": 20})])
    with pytest.raises(ValueError, match="sst2 scored more than once"):
        SentiBenchResults.merge([one, read])
    with pytest.raises(ValueError, match="at least one"):
        SentiBenchResults.merge([])


def test_end_to_end_on_real_data(model, tokenizer, shared_data, tmp_path):
    model.train()
    results = evaluate_sentibench(
        model,
        tokenizer,
        shared_data,
        tasks=["sst2", "atsa_rest16"],
        seeds=(42, 52),
        max_examples=4,
        batch_size=3,
        max_new_tokens=8,
        output_dir=tmp_path / "out",
        show_progress=False,
    )
    assert model.training  # restored after the run
    model.eval()
    assert list(results.tasks) == ["sst2", "atsa_rest16"]
    for result in results.tasks.values():
        assert result.n_examples == 4 and set(result.scores) == {42, 52}
        assert all(0.0 <= score <= 1.0 for score in result.scores.values())
        assert all(len(predictions) == 4 for predictions in result.predictions.values())
    atsa = results.tasks["atsa_rest16"]
    assert atsa.scoring == "generation" and all(len(texts) == 4 for texts in atsa.generations.values())
    assert all(0 <= details["unparsed_answers"] <= 4 for details in atsa.details.values())
    assert 0.0 <= results.mean <= 1.0

    saved = json.loads((tmp_path / "out" / RESULTS_JSON).read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(results.to_dict()))
    assert saved["settings"]["seeds"] == [42, 52] and saved["settings"]["max_examples"] == 4
    assert saved["tasks"]["sst2"]["metric"] == "macro_f1" and saved["tasks"]["atsa_rest16"]["metric"] == "micro_f1"
    assert saved["tasks"]["sst2"]["mean"] == pytest.approx(results.tasks["sst2"].mean)
    table = (tmp_path / "out" / RESULTS_MARKDOWN).read_text(encoding="utf-8")
    assert table == results.to_markdown()
    assert "| sst2 | macro_f1 |" in table and "| atsa_rest16 | micro_f1 |" in table
    lines = (tmp_path / "out" / PREDICTIONS_JSONL).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 * 2 * 4
    assert {json.loads(line)["task"] for line in lines} == {"sst2", "atsa_rest16"}
    # Each dataset scored on its own, then merged, is the same result (what resuming relies on).
    alone = [
        evaluate_sentibench(model, tokenizer, shared_data, tasks=name, seeds=(42, 52), max_examples=4, batch_size=3,
                            max_new_tokens=8, show_progress=False)
        for name in ("sst2", "atsa_rest16")
    ]  # fmt: skip
    assert SentiBenchResults.merge(alone).to_dict() == results.to_dict()
