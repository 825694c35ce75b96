"""Tiny, real causal LMs and tokenizers built inside the tests (nothing is downloaded).

The tokenizer is a byte-level BPE trained with the `tokenizers` library on a few sentiment
sentences and wrapped in `PreTrainedTokenizerFast`; the model is a randomly initialised two-layer
Llama. Both save and load with the usual `save_pretrained` / `from_pretrained`.
"""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CORPUS = [
    "The food was great and the service was friendly.",
    "A terrible, boring film. I hated it.",
    "Sentiment: positive. Sentiment: negative. Sentiment: neutral.",
    "Answer: positive negative neutral irony non-irony anger joy optimism sadness",
    "Text: the battery life is excellent but the keyboard feels cheap.",
    "Review: (battery life, positive); (keyboard, negative). None.",
    "FAVOR AGAINST Not Intimate Moderately Intimate Highly Intimate",
    "food quality service general restaurant general ambience general",
    "Explain the polarity, the aspects, the opinions, the emotion and the intensity of the text.",
]


def tiny_tokenizer(vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with `<pad>`, `<s>`, `</s>` and `<unk>`, padding on the left (as
    batched generation needs)."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        padding_side="left",
    )


def tiny_causal_lm(tokenizer: PreTrainedTokenizerFast, seed: int = 0, hidden_size: int = 32) -> LlamaForCausalLM:
    """A randomly initialised two-layer Llama sized for `tokenizer`."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config).eval()
