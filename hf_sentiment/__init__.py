"""hf-sentiment: fine-grained sentiment analysis, native to the Hugging Face ecosystem.

Importing the package registers its configurations and models with the `Auto*` classes and its
pipelines with transformers' `PIPELINE_REGISTRY`.

The `hf-sentiment` command is the one exception: its entry point (`hf_sentiment_cli`) imports the
package with `HF_SENTIMENT_LAZY_IMPORT=1`, which defers all of that (torch, transformers and every
model, several seconds) until a command runs or a public name is first used, so that `--help` and
usage errors answer at once.
"""

import os

from .version import __version__

LAZY_IMPORT_ENV = "HF_SENTIMENT_LAZY_IMPORT"

# Every public name is listed once, in its subpackage's `__all__`; the package offers all of them
# (a star import takes exactly that list). `losses` re-exports the losses of the method folders, so
# its names come in through `fckt`, `lcl`, `softmcl` and `distill`.
_SUBPACKAGES = ("data", "distill", "evaluation", "fckt", "lcl", "pipelines", "softmcl", "training")


def _import_everything() -> None:
    """Import the subpackages (registering the models and pipelines) and offer their public names
    here: what the imports below do, for the lazy import to finish with."""
    import importlib

    names = []
    for subpackage in (*_SUBPACKAGES, "losses"):
        module = importlib.import_module(f".{subpackage}", __name__)
        if subpackage != "losses":
            names += module.__all__
            globals().update({name: getattr(module, name) for name in module.__all__})
    globals()["__all__"] = names


if os.environ.get(LAZY_IMPORT_ENV) != "1":
    from . import data, distill, evaluation, fckt, lcl, losses, pipelines, softmcl, training
    from .data import *  # noqa: F403
    from .distill import *  # noqa: F403
    from .evaluation import *  # noqa: F403
    from .fckt import *  # noqa: F403
    from .lcl import *  # noqa: F403
    from .pipelines import *  # noqa: F403
    from .softmcl import *  # noqa: F403
    from .training import *  # noqa: F403

    __all__ = []
    __all__ += data.__all__
    __all__ += distill.__all__
    __all__ += evaluation.__all__
    __all__ += fckt.__all__
    __all__ += lcl.__all__
    __all__ += pipelines.__all__
    __all__ += softmcl.__all__
    __all__ += training.__all__
else:

    def __getattr__(name: str):
        # The import machinery probes dunder names (`__path__` is set, the others are not);
        # `__all__` (a star import) and every public name finish the import.
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        _import_everything()
        if name in globals():
            return globals()[name]
        raise AttributeError(f"module 'hf_sentiment' has no attribute {name!r}")
