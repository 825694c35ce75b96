"""SentiBench prompt styles: `"paper"` (the default: the instructions, `Label:` key and answer
layout of the paper's evaluation scripts, HITSZ-HLT/Sentiment-Distillation `icl_multifaced.py` and
`fsa.py`) and `"hf_sentiment"` (our earlier prompts, kept exactly), through the harness, the answer
parser, ICLDist, the teacher cache and the command lines.

The expected prompts are written out as literal strings: the paper ones as the scripts build them
(`"\\n".join([instruction, "", "Sentence: ...\\nLabel: ...\\n", ..., "Sentence: ...\\nLabel:"])`),
the `hf_sentiment` ones as the harness built them before the option existed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hf_sentiment.causal_lm import label_token_ids
from hf_sentiment.data.sentibench import (
    PROMPT_STYLES,
    SENTIBENCH_TASKS,
    SentiBenchExample,
    read_sentibench,
    render_answer,
)
from hf_sentiment.distill.icldist import answer_icl_prompts, build_icl_prompts, sentibench_icl_tasks
from hf_sentiment.distill.teacher_cache import CachedTeacher, TeacherCache, cache_key
from hf_sentiment.distill.teachers import Teacher
from hf_sentiment.evaluation.sentibench import build_sentibench_prompts, evaluate_sentibench, parse_answer
from tests.utils.benchmark_scripts import benchmark_module
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer

SST2_TRAIN = [SentiBenchExample("A fine film.", "positive"), SentiBenchExample("A dull film.", "negative")]
SST2_TEST = [SentiBenchExample("Not bad at all.", "positive")]
PSTANCE_TRAIN = [SentiBenchExample("Bernie all the way", "favor", target="Bernie Sanders")]
PSTANCE_TEST = [SentiBenchExample("Go Joe", "favor", target="Joe Biden")]
ATSA_TRAIN = [
    SentiBenchExample(
        "The pizza was great but the staff were rude.", tuples=(("pizza", "positive"), ("staff", "negative"))
    ),
    SentiBenchExample("Nice.", tuples=()),
]
ATSA_TEST = [SentiBenchExample("Good sushi.", tuples=(("sushi", "positive"),))]


def prompt(task: str, train, test, k: int, style: str | None = None) -> str:
    style_kw = {} if style is None else {"prompt_style": style}
    (built,) = build_sentibench_prompts(task, train, test, k=k, seed=0, **style_kw)
    return built.text


def paper_script_layout(instruction: str, demos: list[tuple[str, str]], sentence: str) -> str:
    """How the paper's scripts join a prompt: the instruction, an empty string, one
    `"Sentence: ...\\nLabel: ...\\n"` per demonstration and the query, joined by newlines."""
    parts = [instruction, ""] + [f"Sentence: {text}\nLabel: {answer}\n" for text, answer in demos]
    return "\n".join([*parts, f"Sentence: {sentence}\nLabel:"])


# --- the paper's prompts, by default ------------------------------------------------------------

PAPER_SST2 = (
    "Please perform Sentiment Analysis task. Given the sentence, assign a sentiment polarity label from "
    "['negative', 'positive']. Return label only without any other text.\n"
    "\n"
    "Sentence: A dull film.\n"
    "Label: negative\n"
    "\n"
    "Sentence: A fine film.\n"
    "Label: positive\n"
    "\n"
    "Sentence: Not bad at all.\n"
    "Label:"
)
PAPER_PSTANCE = (
    "Please perform Stance Detection task. Given the sentence, assign a sentiment label expressed by the author "
    "towards \"Joe Biden\" from ['against', 'favor']. Return label only without any other text.\n"
    "\n"
    "Sentence: Bernie all the way\n"
    "Label: favor(opinion towards 'Bernie Sanders')\n"
    "\n"
    "Sentence: Go Joe\n"
    "Label:"
)
PAPER_ATSA = (
    "Please perform Aspect Term Sentiment Analysis task. Given the sentence, extract all (aspect term, sentiment "
    "polarity) pairs.\n"
    "\n"
    "Sentence: Nice.\n"
    "Label: []\n"
    "\n"
    "Sentence: The pizza was great but the staff were rude.\n"
    "Label: [('pizza', 'positive'), ('staff', 'negative')]\n"
    "\n"
    "Sentence: Good sushi.\n"
    "Label:"
)


def test_default_classification_prompt_is_the_papers():
    assert prompt("sst2", SST2_TRAIN, SST2_TEST, k=2) == prompt("sst2", SST2_TRAIN, SST2_TEST, k=2, style="paper")
    assert prompt("sst2", SST2_TRAIN, SST2_TEST, k=2) == PAPER_SST2
    instruction = PAPER_SST2.split("\n\n")[0]
    demos = [("A dull film.", "negative"), ("A fine film.", "positive")]
    assert PAPER_SST2 == paper_script_layout(instruction, demos, "Not bad at all.")


def test_default_stance_prompt_names_the_target_as_the_paper_does():
    # The test example's target in the instruction, each demonstration's after its label.
    assert prompt("pstance", PSTANCE_TRAIN, PSTANCE_TEST, k=1) == PAPER_PSTANCE
    instruction = PAPER_PSTANCE.split("\n\n")[0]
    demos = [("Bernie all the way", "favor(opinion towards 'Bernie Sanders')")]
    assert PAPER_PSTANCE == paper_script_layout(instruction, demos, "Go Joe")


def test_default_extraction_prompt_is_the_papers():
    assert prompt("atsa_rest16", ATSA_TRAIN, ATSA_TEST, k=2) == PAPER_ATSA
    instruction = PAPER_ATSA.split("\n\n")[0]
    demos = [
        ("Nice.", "[]"),
        ("The pizza was great but the staff were rude.", "[('pizza', 'positive'), ('staff', 'negative')]"),
    ]
    assert PAPER_ATSA == paper_script_layout(instruction, demos, "Good sushi.")


def test_every_paper_instruction_and_its_answers():
    for task in SENTIBENCH_TASKS.values():
        form = task.prompt_format()
        assert form.style == "paper" and form.answer_key == "Label:" and not form.target_line
        assert form.instruction.startswith("Please perform ")
    # Word for word, typos included ("a emotion", "pcrices", the missing space after "drinks prices',").
    assert SENTIBENCH_TASKS["tweeteval"].prompt_format().instruction == (
        "Please perform Emotion Detection task. Given the sentence, assign a emotion label from "
        "['anger', 'joy', 'sadness', 'optimism']. Return the label only without any other text."
    )
    assert SENTIBENCH_TASKS["irony18"].prompt_format().instruction == (
        "Please perform Irony Detection task. Given the sentence, assign a sentiment label from "
        "['irony', 'non-irony']. Return label only without any other text."
    )
    asqp = SENTIBENCH_TASKS["asqp_rest16"].prompt_format().instruction
    assert "['ambience general', 'drinks prices','drinks quality'," in asqp and "'restaurant pcrices'" in asqp
    assert asqp.endswith("CANNOT be 'NULL'.\n\n4. Please return python list only, without any other comments or texts.")
    opener = SENTIBENCH_TASKS["opener"].prompt_format().instruction
    assert "sentiment polarity). \n\nEach tuple should contain:\n\n- Holder:" in opener
    # The paper's ASQP answers put the category first; OpeNER's empty answer is one all-NULL tuple.
    quad = SentiBenchExample("It was great.", tuples=(("null", "restaurant general", "great", "positive"),))
    assert (
        render_answer(SENTIBENCH_TASKS["asqp_rest16"], quad) == "[('restaurant general', 'NULL', 'great', 'positive')]"
    )
    assert render_answer(SENTIBENCH_TASKS["asqp_rest16"], quad, "hf_sentiment") == (
        '("null", "restaurant general", "great", "positive")'
    )
    assert render_answer(SENTIBENCH_TASKS["opener"], SentiBenchExample("Hi.")) == "[('NULL', 'NULL', 'NULL', 'NULL')]"
    assert render_answer(SENTIBENCH_TASKS["acsa_rest16"], SentiBenchExample("Hi.")) == "[]"


# --- our earlier prompts, exactly, behind the option --------------------------------------------


def test_hf_sentiment_style_reproduces_the_previous_prompts():
    assert prompt("sst2", SST2_TRAIN, SST2_TEST, k=2, style="hf_sentiment") == (
        "Classify the sentiment polarity the sentence expresses. Answer with exactly one label from: negative, "
        "positive, and nothing else.\n"
        "\n"
        "Sentence: A dull film.\n"
        "Answer: negative\n"
        "\n"
        "Sentence: A fine film.\n"
        "Answer: positive\n"
        "\n"
        "Sentence: Not bad at all.\n"
        "Answer:"
    )
    assert prompt("pstance", PSTANCE_TRAIN, PSTANCE_TEST, k=1, style="hf_sentiment") == (
        "Decide the stance the author of the tweet takes towards the target. Answer with exactly one label from: "
        "against, favor, and nothing else.\n"
        "\n"
        "Target: Bernie Sanders\n"
        "Sentence: Bernie all the way\n"
        "Answer: favor\n"
        "\n"
        "Target: Joe Biden\n"
        "Sentence: Go Joe\n"
        "Answer:"
    )
    assert prompt("atsa_rest16", ATSA_TRAIN, ATSA_TEST, k=2, style="hf_sentiment") == (
        "Extract every aspect term the sentence mentions explicitly, with the sentiment polarity expressed towards "
        'it (negative, neutral, positive). Write one tuple ("aspect term", "polarity") per item, each element in '
        'double quotes, tuples separated by "; ", or None when there is nothing to extract.\n'
        "\n"
        "Sentence: Nice.\n"
        "Answer: None\n"
        "\n"
        "Sentence: The pizza was great but the staff were rude.\n"
        'Answer: ("pizza", "positive"); ("staff", "negative")\n'
        "\n"
        "Sentence: Good sushi.\n"
        "Answer:"
    )


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="unknown prompt style 'Paper'; choose one of paper, hf_sentiment"):
        build_sentibench_prompts("sst2", SST2_TRAIN, SST2_TEST, k=1, seed=0, prompt_style="Paper")
    with pytest.raises(ValueError, match="unknown prompt style"):
        parse_answer("[]", "atsa_rest16", "ours")
    assert PROMPT_STYLES == ("paper", "hf_sentiment")


# --- the answer parser --------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["paper", "hf_sentiment"])
@pytest.mark.parametrize("key", ["", "Label:", "Answer:", "label:", "ANSWER:"])
def test_parser_reads_answers_with_either_key(style, key):
    for answer in ("[('Pizza', 'positive'), ('staff', 'negative')]", '("pizza", "positive"); ("staff", "negative")'):
        text = f" {key} {answer}\n\nSentence: next one\nLabel: [('x', 'positive')]"
        assert parse_answer(text, "atsa_rest16", style) == {("pizza", "positive"), ("staff", "negative")}
    for empty in ("[]", "None"):
        assert parse_answer(f"{key} {empty}", "atsa_rest16", style) == set()


def test_parser_maps_the_papers_order_back_and_reads_its_empty_answer():
    quad = (
        "Label: [('food quality', 'sushi', 'amazing', 'positive'), ('restaurant general', 'NULL', 'sadly', 'negative')]"
    )
    assert parse_answer(quad, "asqp_rest16") == {
        ("sushi", "food quality", "amazing", "positive"),
        ("null", "restaurant general", "sadly", "negative"),
    }
    # Given only the tuple length, the order is the one written.
    assert parse_answer(quad, 4) == {
        ("food quality", "sushi", "amazing", "positive"),
        ("restaurant general", "null", "sadly", "negative"),
    }
    nothing = "[('NULL', 'NULL', 'NULL', 'NULL')]"
    assert parse_answer(nothing, "opener") == set() == parse_answer(nothing, 4)
    # Our earlier parsing is unchanged: an all-null tuple is a tuple there.
    assert parse_answer(nothing, "opener", "hf_sentiment") == {("null", "null", "null", "null")}
    with pytest.raises(ValueError, match="arity"):
        parse_answer("positive", "sst2")


# --- the harness --------------------------------------------------------------------------------


def write_bench(root: Path) -> Path:
    rows = {
        "sc/sst2": lambda n, o: [{"label": ("positive", "negative")[i % 2], "sentence": f"Sentence number {i + o}."} for i in range(n)],
        "absa/atsa_rest16": lambda n, o: [
            {"ID": str(i + o), "sentence": f"The food {i + o} was good.",
             "aspects": [{"from": "4", "to": "8", "target": "food", "category": "FOOD#QUALITY", "polarity": "positive"}]}
            for i in range(n)
        ],
    }  # fmt: skip
    for folder, make in rows.items():
        (root / folder).mkdir(parents=True)
        for split, (n, offset) in {"train": (6, 0), "test": (4, 100)}.items():
            (root / folder / f"{split}.json").write_text("\ufeff" + json.dumps(make(n, offset)), encoding="utf-8")
    return root


@pytest.mark.parametrize("style", ["paper", "hf_sentiment"])
def test_harness_scores_each_styles_prompts_after_its_key(tmp_path, style):
    tokenizer = tiny_tokenizer()
    model = tiny_causal_lm(tokenizer, seed=0).eval()
    bench = write_bench(tmp_path / "bench")
    results = evaluate_sentibench(
        model, tokenizer, bench, tasks=["sst2", "atsa_rest16"], seeds=(7,), k=2, max_new_tokens=6,
        output_dir=tmp_path / "out", prompt_style=style, show_progress=False,
    )  # fmt: skip
    assert results.settings["prompt_style"] == style
    assert json.loads((tmp_path / "out" / "sentibench_results.json").read_text())["settings"]["prompt_style"] == style
    assert f", {style} prompts;" in results.to_markdown()
    key = SENTIBENCH_TASKS["sst2"].prompt_format(style).answer_key
    first = [ids[0] for ids in label_token_ids(tokenizer, ("negative", "positive"), anchor=key)]
    train, test = read_sentibench(bench, "sst2", "train"), read_sentibench(bench, "sst2", "test")
    expected = []
    for built in build_sentibench_prompts("sst2", train, test, k=2, seed=7, prompt_style=style):
        assert built.text.endswith(f"\n{key}")
        with torch.no_grad():
            logits = model(torch.tensor([tokenizer(built.text)["input_ids"]])).logits[0, -1, first]
        expected.append(("negative", "positive")[int(logits.argmax())])
    assert results.tasks["sst2"].predictions[7] == expected
    atsa = results.tasks["atsa_rest16"]
    assert [sorted(map(list, parse_answer(text, "atsa_rest16", style))) for text in atsa.generations[7]] == (
        atsa.predictions[7]
    )


# --- ICLDist ------------------------------------------------------------------------------------


def test_icldist_instructions_per_style(shared_data):
    old = sentibench_icl_tasks(
        shared_data, ["sst2", "pstance", "atsa_rest16"], max_examples=8, prompt_style="hf_sentiment"
    )
    sst2, pstance, atsa = old
    assert list(sst2.instructions) == [
        (
            "Classify the sentiment polarity the sentence expresses. Answer with exactly one label from: {labels}, "
            "and nothing else."
        ),
        "Read the text and answer with one of: {labels}.",
        "Label the text. Possible labels: {labels}. Give only the label.",
    ]
    assert list(atsa.instructions) == [
        SENTIBENCH_TASKS["atsa_rest16"].instruction,
        "Find every item in the text and write " + SENTIBENCH_TASKS["atsa_rest16"].answer_format + ".",
    ]
    assert all(answer.startswith(("(", "None")) for _, answer in atsa.examples)
    assert pstance.examples[0][0].endswith(")") and "(target: " in pstance.examples[0][0]

    sst2, pstance, atsa, asqp = sentibench_icl_tasks(
        shared_data, ["sst2", "pstance", "atsa_rest16", "asqp_rest16"], max_examples=8
    )
    assert sst2.instructions[0] == (
        "Please perform Sentiment Analysis task. Given the sentence, assign a sentiment polarity label from "
        "[{quoted_labels}]. Return label only without any other text."
    )
    assert pstance.instructions[0] == (
        "Please perform Stance Detection task. Given the sentence, assign a sentiment label expressed by the author "
        "towards the target given with the text from [{quoted_labels}]. Return label only without any other text."
    )
    assert {answer for _, answer in pstance.examples} <= {"against", "favor"}  # bare labels, for the teacher's KD
    assert atsa.instructions[0] == SENTIBENCH_TASKS["atsa_rest16"].prompt_format().instruction
    assert (
        atsa.instructions[1] == "Find every item in the text and write a python list of (aspect term, polarity) tuples."
    )
    assert asqp.instructions[1].endswith("python list of (category, aspect, opinion, polarity) tuples.")
    assert all(answer.startswith("[") for _, answer in atsa.examples)

    rows = build_icl_prompts([sst2], k=1, per_task=40, seed=0)
    listed = {text.split("\n\n")[0] for text in rows["prompt"] if text.startswith("Please perform")}
    assert any("['NEGATIVE', 'POSITIVE']" in text for text in listed)  # the varied case, quoted as the paper does
    assert SENTIBENCH_TASKS["sst2"].prompt_format().instruction in listed  # the paper's, word for word


class CountingTeacher(Teacher):
    """Answers `[]` and a flat distribution, keeping every prompt it is asked."""

    max_new_tokens = 8

    def __init__(self) -> None:
        self.asked: list[str] = []

    @property
    def name(self) -> str:
        return "counting"

    def generate(self, prompts, *, max_new_tokens=None, progress=True, **kwargs) -> list[str]:
        self.asked.extend(prompts)
        return ["[]"] * len(prompts)

    def label_distribution(self, prompts, labels, *, progress=True) -> np.ndarray:
        self.asked.extend(prompts)
        return np.full((len(prompts), len(labels)), 1 / len(labels))


def test_teacher_cache_never_answers_one_styles_prompt_with_the_others(shared_data, tmp_path):
    # The cache keys on the whole prompt text, and every difference between the styles is in that
    # text: an answer cached for an hf_sentiment prompt is never handed out for a paper prompt
    # (only a prompt that reads the same in both, e.g. a generic ICLDist phrasing, is shared).
    prompts = {
        style: build_icl_prompts(
            sentibench_icl_tasks(shared_data, ["sst2", "atsa_rest16"], max_examples=20, prompt_style=style),
            k=2,
            per_task=12,
            seed=0,
        )
        for style in ("hf_sentiment", "paper")
    }
    teacher = CountingTeacher()
    with TeacherCache(tmp_path / "cache.jsonl") as cache:
        cached = CachedTeacher(teacher, cache)
        answer_icl_prompts(prompts["hf_sentiment"], cached.generate, cached.label_distribution)
        old = set(teacher.asked)
        assert old == set(prompts["hf_sentiment"]["prompt"])
        teacher.asked.clear()
        answer_icl_prompts(prompts["paper"], cached.generate, cached.label_distribution)
    new = set(prompts["paper"]["prompt"]) - old
    assert set(teacher.asked) == new
    extraction = {row["prompt"] for row in prompts["paper"] if row["task"] == "atsa_rest16"}
    assert extraction <= new and len(new) > len(extraction)  # every extraction prompt, and most others
    settings = teacher.generation_settings()
    assert not {cache_key("counting", text, settings) for text in new} & {
        cache_key("counting", text, settings) for text in old
    }


# --- command lines ------------------------------------------------------------------------------


def test_sentibench_command_takes_the_option():
    from hf_sentiment.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["sentibench", "--model", "m"]).prompt_style == "paper"
    assert parser.parse_args(["sentibench", "--model", "m", "--prompt_style", "hf_sentiment"]).prompt_style == (
        "hf_sentiment"
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["sentibench", "--model", "m", "--prompt_style", "ours"])


def test_train_distill_takes_the_option(tmp_path):
    from hf_sentiment.cli.common import parse_training_arguments, training_parser
    from hf_sentiment.cli.train_distill import DistillArguments
    from hf_sentiment.distill import DistillationTrainingArguments

    parser = training_parser((DistillArguments, DistillationTrainingArguments))
    base = ["--stage", "icldist", "--student", "s", "--output_dir", str(tmp_path / "out")]
    args, _ = parse_training_arguments(parser, base)
    assert args.prompt_style == "paper"
    args, _ = parse_training_arguments(parser, [*base, "--prompt_style", "hf_sentiment"])
    assert args.prompt_style == "hf_sentiment"
    with pytest.raises(SystemExit):
        parse_training_arguments(parser, [*base, "--prompt_style", "ours"])


@pytest.fixture(scope="module")
def distill_sentibench():
    yield from benchmark_module("distill_sentibench")


def test_benchmark_takes_the_option_and_keeps_one_style_per_folder(distill_sentibench, tmp_path):
    parser = distill_sentibench.build_parser()
    assert parser.parse_args([]).prompt_style == "paper"
    assert parser.parse_args(["--prompt_style", "hf_sentiment"]).prompt_style == "hf_sentiment"
    with pytest.raises(SystemExit):
        parser.parse_args(["--prompt_style", "ours"])
    # Rows recorded before the option existed used our earlier prompts.
    assert distill_sentibench.recorded_style({"settings": {"k": 4}}) == "hf_sentiment"
    assert distill_sentibench.recorded_style({"settings": {"prompt_style": "paper"}}) == "paper"
    row = tmp_path / "student.json"
    row.write_text(json.dumps({"settings": {"k": 4}}))
    distill_sentibench.check_results_style(row, "hf_sentiment")
    with pytest.raises(SystemExit, match="scored with hf_sentiment prompts, not paper"):
        distill_sentibench.check_results_style(row, "paper")
    work = tmp_path / "work"
    assert distill_sentibench.icldist_folder(work, "hf_sentiment") == work / "smollm2-135m-knowdist-icldist"
    assert distill_sentibench.icldist_folder(work, "paper") == work / "smollm2-135m-knowdist-icldist-paper"


def test_benchmark_resumes_a_row_one_dataset_at_a_time_and_compares_two_rows(distill_sentibench, tmp_path):
    from scipy.stats import binomtest

    bench = tmp_path / "bench" / SENTIBENCH_TASKS["sst2"].folder
    bench.mkdir(parents=True)
    rows = [{"sentence": f"Film number {i} was {('bad', 'good')[i % 2]}.", "label": ("negative", "positive")[i % 2]} for i in range(14)]  # fmt: skip
    (bench / "train.json").write_text(json.dumps(rows[:6]))
    (bench / "test.json").write_text(json.dumps(rows[6:]))
    tokenizer = tiny_tokenizer()
    args = distill_sentibench.build_parser().parse_args(["--work", str(tmp_path / "work"), "--batch_size", "3"])
    args.data = str(tmp_path / "bench")
    for row, seed in (("teacher", 1), ("student", 2)):
        folder = tmp_path / row
        tiny_causal_lm(tokenizer, seed=seed).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        first = distill_sentibench.evaluate(folder, args, tmp_path / "work" / f"sentibench-{row}", ["sst2"])
        # Scored once, then read back: the model folder is gone, so it cannot have been scored again.
        for path in folder.iterdir():
            path.unlink()
        assert distill_sentibench.evaluate(folder, args, tmp_path / "work" / f"sentibench-{row}", ["sst2"]) == first

    [line] = distill_sentibench.compare(args, "teacher", "student")
    gold = [example.label for example in read_sentibench(tmp_path / "bench", "sst2", "test")]
    right = {}
    for row in ("teacher", "student"):
        predictions = [json.loads(text) for text in (tmp_path / "work" / f"sentibench-{row}" / "sst2" / "sentibench_predictions.jsonl").read_text().splitlines()]  # fmt: skip
        right[row] = {(p["seed"], p["index"]): p["prediction"] == gold[p["index"]] for p in predictions}
        assert line["accuracy"][row] == pytest.approx(100 * sum(right[row].values()) / (3 * len(gold)))
    only_teacher = sum(right["teacher"][key] and not right["student"][key] for key in right["teacher"])
    only_student = sum(right["student"][key] and not right["teacher"][key] for key in right["teacher"])
    assert line["only_right"] == {"teacher": only_teacher, "student": only_student}
    expected_p = binomtest(only_teacher, only_teacher + only_student).pvalue if only_teacher + only_student else 1.0
    assert line["mcnemar_p"] == pytest.approx(expected_p)
    assert line["difference"]["mean"] == pytest.approx(line["teacher"] - line["student"])
    assert line["n_examples"] == len(gold) and line["seeds"] == [42, 52, 62]
