"""SoftMCL: the soft contrastive loss, word pooling, EMA and queue arithmetic against direct
computations; the forward pass; training, resume and export with the real Trainer."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
from tests.utils import assert_carries_its_code, run_clean
from datasets import Dataset
from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForPreTraining,
    AutoTokenizer,
    BertConfig,
    BertModel,
)

from hf_sentiment import (
    DataCollatorForSoftMCL,
    SoftMCLConfig,
    SoftMCLForPreTraining,
    SoftMCLTrainer,
    SoftMCLTrainingArguments,
    ValenceLexicon,
    encode_valence_corpus,
)
from hf_sentiment.offline import offline_minilm_path
from hf_sentiment.softmcl.modeling_softmcl import pool_words, soft_contrastive_loss

SENTENCES = [
    "The food was wonderful and the staff were friendly.",
    "A horrible, boring film with terrible acting.",
    "I am happy with this unbelievably good laptop.",
    "The battery died and I felt sad and angry.",
    "An ordinary day at the office.",
    "What a great, lovely surprise!",
    "The service was awful but the view was beautiful.",
    "Nothing special, just a table and a chair.",
]
LEXICON = ValenceLexicon(
    {"wonderful": 8.2, "friendly": 7.5, "horrible": 1.5, "boring": 2.8, "terrible": 1.6, "happy": 8.5,
     "unbelievably": 6.0, "good": 7.9, "sad": 2.1, "angry": 2.5, "great": 7.8, "lovely": 8.0,
     "surprise": 7.4, "awful": 1.9, "beautiful": 8.1, "table": 5.2},
    scale=(1, 9),
)  # fmt: skip


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


@pytest.fixture(scope="module")
def corpus(tokenizer) -> Dataset:
    valence = [0.8, 0.1, float("nan"), 0.2, None, 0.9, 0.5, None]
    data = Dataset.from_dict({"text": SENTENCES, "valence": valence})
    return encode_valence_corpus(data, tokenizer, LEXICON, max_length=32)[0]


def tiny(vocab_size: int, **kwargs) -> SoftMCLForPreTraining:
    backbone = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    kwargs = {
        "word_queue_size": 16,
        "sentence_queue_size": 8,
        "projection_dim": 8,
        **kwargs,
    }
    return SoftMCLForPreTraining(SoftMCLConfig(backbone_config=backbone, **kwargs))


# ------------------------------------------------------------------- arithmetic, direct checks
def test_soft_contrastive_loss_matches_a_loop():
    torch.manual_seed(0)
    queries = torch.nn.functional.normalize(torch.randn(5, 4), dim=-1)
    keys = torch.nn.functional.normalize(torch.randn(9, 4), dim=-1)
    qv, kv = torch.rand(5), torch.rand(9)
    expected = 0.0
    for i in range(5):
        sims = [1 - abs(qv[i].item() - kv[j].item()) for j in range(9)]
        logits = [float(queries[i] @ keys[j]) / 0.2 for j in range(9)]
        log_norm = np.log(sum(np.exp(x) for x in logits))
        expected += -sum(s / sum(sims) * (logit - log_norm) for s, logit in zip(sims, logits))
    expected /= 5
    assert soft_contrastive_loss(queries, qv, keys, kv, 0.2).item() == pytest.approx(expected, rel=1e-5)


def test_soft_target_prefers_keys_of_similar_valence():
    """With equal representation similarity the loss is lowest when the close-valence key is
    the most similar one."""
    keys = torch.eye(2)
    query_valence, key_valence = torch.tensor([0.9]), torch.tensor([0.85, 0.1])
    near = soft_contrastive_loss(keys[:1], query_valence, keys, key_valence, 0.1)
    far = soft_contrastive_loss(keys[1:], query_valence, keys, key_valence, 0.1)
    assert near < far


def test_soft_contrastive_loss_without_queries_is_zero_with_a_gradient_path():
    queries = torch.zeros(0, 4, requires_grad=True)
    loss = soft_contrastive_loss(queries, torch.zeros(0), torch.randn(3, 4), torch.rand(3), 0.1)
    assert loss.item() == 0.0 and loss.requires_grad


def test_pool_words_is_the_mean_of_each_words_pieces():
    hidden = torch.randn(2, 6, 3)
    word_index = torch.tensor([[-1, 0, 0, 1, -1, -1], [-1, -1, 0, 0, 0, -1]])
    words, counts = pool_words(hidden, word_index, 2)
    torch.testing.assert_close(words[0, 0], hidden[0, 1:3].mean(0))
    torch.testing.assert_close(words[0, 1], hidden[0, 3])
    torch.testing.assert_close(words[1, 0], hidden[1, 2:5].mean(0))
    assert counts.tolist() == [[2, 1], [3, 0]]


def test_enqueue_is_a_fifo_ring_buffer():
    """Against a direct simulation: a list that keys enter one by one at the pointer."""
    model = tiny(99, word_queue_size=5)
    slots: list[tuple[float, ...] | None] = [None] * 5
    pointer = 0
    for size in (2, 3, 4, 7):  # wraps around, then one call larger than the queue
        keys, valences = torch.randn(size, 8), torch.rand(size)
        model.enqueue("word", keys, valences)
        for key, valence in zip(keys.tolist(), valences.tolist()):
            slots[pointer] = (valence, *key)
            pointer = (pointer + 1) % 5
        assert int(model.word_queue_pointer) == pointer
        for slot, expected in enumerate(slots):
            if expected is None:
                assert model.word_queue_valence[slot] == -1.0
            else:
                assert model.word_queue_valence[slot].item() == pytest.approx(expected[0])
                torch.testing.assert_close(model.word_queue[slot], torch.tensor(expected[1:]))


def test_momentum_update_is_an_ema_of_the_online_weights(corpus, tokenizer):
    torch.manual_seed(0)
    model = tiny(tokenizer.vocab_size, momentum=0.9)
    with torch.no_grad():
        for p in model.mlm.base_model.parameters():
            p.add_(torch.randn_like(p))
    online = [p.detach().clone() for p in model.mlm.base_model.parameters()]
    keys_before = [p.detach().clone() for p in model.key_encoder.parameters()]
    model.update_momentum_and_queue()
    for key, before, current in zip(model.key_encoder.parameters(), keys_before, online):
        torch.testing.assert_close(key, 0.9 * before + 0.1 * current)
    assert not any(p.requires_grad for p in model.key_encoder.parameters())


# ------------------------------------------------------------------------------------ forward
def test_forward_uses_batch_keys_then_the_queue(corpus, tokenizer):
    torch.manual_seed(0)
    model = tiny(tokenizer.vocab_size, mlm_weight=0.5, word_weight=2.0, sentence_weight=3.0).train()
    batch = DataCollatorForSoftMCL(tokenizer)([corpus[i] for i in range(8)])
    out = model(**batch)
    assert torch.allclose(out.loss, 0.5 * out.mlm_loss + 2.0 * out.word_loss + 3.0 * out.sentence_loss)
    out.loss.backward()
    assert model.word_projection[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.key_encoder.parameters())
    pending = sum(k.shape[0] for k, _ in model._pending_keys["word"])
    assert pending == int((batch["word_valence"] >= 0).sum())
    model.update_momentum_and_queue()
    assert int(model.word_queue_pointer) == pending % 16 and int((model.word_queue_valence >= 0).sum()) == min(
        pending, 16
    )
    assert int(model.sentence_queue_pointer) == int((batch["sentence_valence"] >= 0).sum())

    # The next loss compares the queries with batch keys + the queued ones: recompute it by hand.
    model.eval()
    with torch.no_grad():
        out = model(**batch)
        key_ids = torch.where(batch["labels"] != -100, batch["labels"], batch["input_ids"])
        hidden = model.mlm(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            output_hidden_states=True,
        ).hidden_states[-1]
        key_hidden = model.key_encoder(input_ids=key_ids, attention_mask=batch["attention_mask"]).last_hidden_state
        rated = batch["sentence_valence"] >= 0
        queries = torch.nn.functional.normalize(model.sentence_projection(hidden[rated, 0]), dim=-1)
        keys = torch.nn.functional.normalize(model.key_sentence_projection(key_hidden[rated, 0]), dim=-1)
        queued_keys, queued_valence = model.queued("sentence")
        expected = soft_contrastive_loss(
            queries, batch["sentence_valence"][rated], torch.cat([keys, queued_keys]),
            torch.cat([batch["sentence_valence"][rated], queued_valence]), model.config.sentence_temperature,
        )  # fmt: skip
    torch.testing.assert_close(out.sentence_loss, expected)
    assert model._pending_keys["sentence"] == []  # eval forwards queue nothing


def test_mlm_only_model_has_no_key_encoder(corpus, tokenizer):
    model = tiny(tokenizer.vocab_size, word_weight=0.0, sentence_weight=0.0).train()
    assert not hasattr(model, "key_encoder")
    out = model(**DataCollatorForSoftMCL(tokenizer)([corpus[i] for i in range(4)]))
    assert out.word_loss is None and out.sentence_loss is None
    torch.testing.assert_close(out.loss, out.mlm_loss)


def test_mlm_head_is_tied_to_the_input_embeddings(tokenizer):
    model = tiny(tokenizer.vocab_size)
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"momentum": 1.5}, "momentum"), ({"word_temperature": 0}, "word_temperature"), ({"word_queue_size": -1}, "word_queue_size"),
     ({"sentence_weight": -1}, "sentence_weight"), ({"backbone_config": {"hidden_size": 8}}, "model_type")],
)  # fmt: skip
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SoftMCLConfig(**kwargs)


# ------------------------------------------------------------------- trainer, resume, export
def train(tmp_path, tokenizer, corpus, max_steps: int, resume: str | None = None, **kwargs) -> SoftMCLForPreTraining:
    torch.manual_seed(0)
    model = tiny(tokenizer.vocab_size, momentum=0.9, word_queue_size=12, sentence_queue_size=6)
    args = SoftMCLTrainingArguments(
        str(tmp_path), max_steps=max_steps, per_device_train_batch_size=4, learning_rate=1e-3, save_steps=3,
        logging_steps=1, report_to="none", disable_tqdm=True, seed=0, use_cpu=True, **kwargs,
    )  # fmt: skip
    SoftMCLTrainer(model=model, args=args, train_dataset=corpus, processing_class=tokenizer).train(
        resume_from_checkpoint=resume
    )
    return model


def test_trainer_updates_key_encoder_and_queues(tmp_path, tokenizer, corpus):
    model = train(tmp_path, tokenizer, corpus, max_steps=2)
    rated_words = sum(len(v) for v in corpus["word_valence"])
    assert int(model.word_queue_pointer) == rated_words % 12
    assert int((model.sentence_queue_valence >= 0).sum()) == min(6, sum(v >= 0 for v in corpus["sentence_valence"]))
    online = dict(model.mlm.base_model.named_parameters())
    moved = [name for name, p in model.key_encoder.named_parameters() if not torch.equal(p, online[name])]
    assert moved, "the key encoder should trail the online encoder after training"


def test_resume_reproduces_an_uninterrupted_run(tmp_path, tokenizer, corpus):
    straight = train(tmp_path / "straight", tokenizer, corpus, max_steps=6)
    resumed = train(
        tmp_path / "resumed",
        tokenizer,
        corpus,
        max_steps=6,
        resume=str(tmp_path / "straight" / "checkpoint-3"),
    )
    expected, actual = straight.state_dict(), resumed.state_dict()
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], atol=1e-6, rtol=1e-5, msg=name)
    assert any(name.startswith("key_encoder.") for name in expected) and "word_queue" in expected
    assert_carries_its_code(tmp_path / "straight" / "checkpoint-3")


def test_saved_folder_and_exported_encoder_load_without_hf_sentiment(
    tmp_path, tokenizer, corpus, python_without_hf_sentiment
):
    model = tiny(tokenizer.vocab_size).eval()
    model.enqueue("word", torch.randn(3, 8), torch.rand(3))
    folder, encoder_folder = tmp_path / "softmcl", tmp_path / "encoder"
    model.save_pretrained(folder)
    model.export_encoder(encoder_folder, tokenizer=tokenizer)
    batch = DataCollatorForSoftMCL(tokenizer)([corpus[i] for i in range(4)])
    with torch.no_grad():
        expected = model(**batch)
        hidden = model.mlm.base_model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
    torch.save({k: v for k, v in batch.items()}, tmp_path / "batch.pt")
    script = textwrap.dedent(
        f"""
        import importlib.util, torch
        from transformers import AutoModel, AutoModelForPreTraining, AutoTokenizer
        assert importlib.util.find_spec("hf_sentiment") is None
        batch = torch.load({str(tmp_path / "batch.pt")!r}, weights_only=True)
        model = AutoModelForPreTraining.from_pretrained({str(folder)!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        encoder = AutoModel.from_pretrained({str(encoder_folder)!r}).eval()
        tokenizer = AutoTokenizer.from_pretrained({str(encoder_folder)!r})
        assert tokenizer("good")["input_ids"]
        with torch.no_grad():
            out = model(**batch)
            hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        torch.save({{"loss": out.loss, "queue": model.word_queue, "hidden": hidden}}, {str(tmp_path / "clean.pt")!r})
        """
    )
    run_clean(python_without_hf_sentiment, script, tmp_path)
    clean = torch.load(tmp_path / "clean.pt", weights_only=True)
    torch.testing.assert_close(clean["loss"], expected.loss, atol=1e-5, rtol=0)
    torch.testing.assert_close(clean["queue"], model.word_queue)
    torch.testing.assert_close(clean["hidden"], hidden, atol=1e-5, rtol=0)


def test_exported_encoder_loads_with_plain_auto_classes(tmp_path, tokenizer):
    model = tiny(tokenizer.vocab_size)
    model.export_encoder(tmp_path, tokenizer=tokenizer)
    assert type(AutoModel.from_pretrained(tmp_path)).__name__ == "BertModel"
    mlm = AutoModelForMaskedLM.from_pretrained(tmp_path)
    torch.testing.assert_close(mlm.get_output_embeddings().weight, model.get_output_embeddings().weight)


def test_auto_model_for_pretraining_round_trip(tmp_path, tokenizer):
    model = tiny(tokenizer.vocab_size)
    model.save_pretrained(tmp_path)
    loaded = AutoModelForPreTraining.from_pretrained(tmp_path)
    assert isinstance(loaded, SoftMCLForPreTraining)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], value, msg=name)


def test_masked_logits_equal_the_full_heads_scores_at_masked_positions(corpus, tokenizer):
    model = tiny(tokenizer.vocab_size).eval()
    batch = DataCollatorForSoftMCL(tokenizer)([corpus[i] for i in range(4)])
    with torch.no_grad():
        out = model(**batch)
        full = model.mlm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        plain = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    masked = batch["labels"] != -100
    torch.testing.assert_close(out.masked_logits, full[masked])
    torch.testing.assert_close(plain.logits, full)
    torch.testing.assert_close(out.mlm_loss, torch.nn.functional.cross_entropy(full[masked], batch["labels"][masked]))


# ----------------------------------------------------------------------------- example script
@pytest.fixture
def run_softmcl():
    """The training script's module: `hf-sentiment train softmcl` (its `main(argv)` returns the metrics)."""
    from hf_sentiment.cli import train_softmcl

    return train_softmcl


def test_example_script_pretrains_and_exports(run_softmcl, tokenizer, tmp_path):
    encoder = tmp_path / "tiny-encoder"
    BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
        )
    ).save_pretrained(encoder)
    tokenizer.save_pretrained(encoder)
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    common = ["--model_name_or_path", str(encoder), "--lexicon", "vader", "--max_steps", "2", "--per_device_train_batch_size", "4",
              "--report_to", "none", "--disable_tqdm", "True", "--use_cpu", "True", "--word_queue_size", "8", "--projection_dim", "8"]  # fmt: skip
    metrics = run_softmcl.main(["--train_file", str(texts), "--output_dir", str(tmp_path / "out"), *common])
    assert metrics["corpus_texts"] == len(SENTENCES) and metrics["rated_words"] > 0
    assert metrics["queue_memory_bytes"] == (8 * 8 + 8) * 4 + (1024 * 8 + 1024) * 4
    assert type(AutoModel.from_pretrained(tmp_path / "out" / "encoder")).__name__ == "BertModel"
    assert isinstance(AutoModelForPreTraining.from_pretrained(tmp_path / "out"), SoftMCLForPreTraining)
    with pytest.raises(SystemExit, match="does not exist"):
        run_softmcl.main(
            ["--train_file", str(tmp_path / "missing.txt"), "--output_dir", str(tmp_path / "bad"), *common]
        )
    with pytest.raises(SystemExit, match="exactly one"):
        run_softmcl.main(["--output_dir", str(tmp_path / "bad"), *common])


def test_from_pretrained_keeps_the_key_encoder_frozen(tmp_path, tokenizer):
    model = tiny(tokenizer.vocab_size)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.save_pretrained(tmp_path)
    loaded = SoftMCLForPreTraining.from_pretrained(tmp_path)
    assert sum(p.numel() for p in loaded.parameters() if p.requires_grad) == trainable
    assert not any(p.requires_grad for p in loaded.key_encoder.parameters())


def test_sentence_level_reads_the_first_attended_token_under_left_padding(corpus, tokenizer):
    model = tiny(tokenizer.vocab_size, word_weight=0.0, mlm_weight=0.0).eval()
    left_tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path(), padding_side="left")
    batch = DataCollatorForSoftMCL(left_tokenizer)([corpus[i] for i in range(4)])
    mask = batch["attention_mask"]
    assert (mask[:, 0] == 0).any()  # some rows really start with padding
    with torch.no_grad():
        out = model(**batch)
        rows, first = torch.arange(4), mask.argmax(-1)
        assert (batch["input_ids"][rows, first] == tokenizer.cls_token_id).all()
        key_ids = torch.where(batch["labels"] != -100, batch["labels"], batch["input_ids"])
        hidden = model.mlm.base_model(input_ids=batch["input_ids"], attention_mask=mask).last_hidden_state
        key_hidden = model.key_encoder(input_ids=key_ids, attention_mask=mask).last_hidden_state
        rated = batch["sentence_valence"] >= 0
        queries = torch.nn.functional.normalize(model.sentence_projection(hidden[rows, first][rated]), dim=-1)
        keys = torch.nn.functional.normalize(model.key_sentence_projection(key_hidden[rows, first][rated]), dim=-1)
        valence = batch["sentence_valence"][rated]
        expected = soft_contrastive_loss(queries, valence, keys, valence, model.config.sentence_temperature)
    torch.testing.assert_close(out.sentence_loss, expected)


def test_gradient_accumulation_queues_every_micro_batch_and_moves_the_key_encoder_once(tmp_path, tokenizer, corpus):
    torch.manual_seed(0)
    model = tiny(tokenizer.vocab_size, momentum=0.9, word_queue_size=64, sentence_queue_size=16)
    start = [p.detach().clone() for p in model.mlm.base_model.parameters()]
    args = SoftMCLTrainingArguments(
        str(tmp_path), max_steps=1, per_device_train_batch_size=2, gradient_accumulation_steps=2, learning_rate=1e-3,
        report_to="none", disable_tqdm=True, use_cpu=True, save_strategy="no", train_sampling_strategy="sequential",
    )  # fmt: skip
    SoftMCLTrainer(model=model, args=args, train_dataset=corpus, processing_class=tokenizer).train()
    assert int(model.word_queue_pointer) == sum(len(corpus[i]["word_valence"]) for i in range(4))
    online = list(model.mlm.base_model.parameters())
    for key, before, after in zip(model.key_encoder.parameters(), start, online):
        torch.testing.assert_close(key, 0.9 * before + 0.1 * after.detach())
