"""hf-sentiment: fine-grained sentiment analysis, native to the Hugging Face ecosystem.

Importing the package registers its configurations and models with the `Auto*` classes and its
pipelines with transformers' `PIPELINE_REGISTRY`.
"""

# Every public name is listed once, in its subpackage's `__all__`; the package offers all of them
# (a star import takes exactly that list). `losses` re-exports the losses of the method folders, so
# its names come in through `fckt`, `lcl`, `softmcl` and `distill`.
from . import data, distill, evaluation, fckt, lcl, losses, pipelines, softmcl, training
from .data import *  # noqa: F403
from .distill import *  # noqa: F403
from .evaluation import *  # noqa: F403
from .fckt import *  # noqa: F403
from .lcl import *  # noqa: F403
from .pipelines import *  # noqa: F403
from .softmcl import *  # noqa: F403
from .training import *  # noqa: F403
from .version import __version__

__all__ = []
__all__ += data.__all__
__all__ += distill.__all__
__all__ += evaluation.__all__
__all__ += fckt.__all__
__all__ += lcl.__all__
__all__ += pipelines.__all__
__all__ += softmcl.__all__
__all__ += training.__all__
