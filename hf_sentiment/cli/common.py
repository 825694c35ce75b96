"""What every `hf-sentiment` subcommand shares: the user-error type, the subcommand parser with its
`--model` option, the checks on options, model folders, adapter folders and data folders, the
training options read from a config class, and the reader of texts for `predict`.

User mistakes (a missing file, a folder that is not a model, the wrong kind of model for a job, a
malformed input line) raise `CLIError`, which `hf_sentiment.cli.main` turns into one line on
stderr and exit code 2, never a traceback. The checks run before any model is loaded, so a typo
costs nothing.

The library's own modules are imported inside the functions that use them: `hf-sentiment --help`
builds every command's parser and must not import torch or transformers (see `hf_sentiment_cli`).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, make_dataclass
from dataclasses import fields as fields_of
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..utils.logging import set_verbosity

if TYPE_CHECKING:
    from transformers import HfArgumentParser, TrainingArguments


class CLIError(Exception):
    """A mistake the user can fix; the message says what to do."""


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    *,
    help: str,
    description: str,
    model_help: str | None = None,
) -> argparse.ArgumentParser:
    """Add the subcommand `name`, run by `handler(args)`, and return its parser for its own options.

    The description is shown as written (its tables and examples are laid out by hand). Every
    command but `train` works on one saved folder, so `model_help` adds the required `--model DIR`.

    Args:
        subparsers (`argparse._SubParsersAction`): the `hf-sentiment` parser's subcommands.
        name (`str`): the subcommand, e.g. `"evaluate"`.
        handler (`Callable[[argparse.Namespace], int]`): runs the parsed command; returns the exit status.
        help (`str`): the one line the top-level `--help` shows for the command.
        description (`str`): the command's own `--help` text.
        model_help (`str`, *optional*): the help of `--model DIR`; `None` for a command without one.

    Returns:
        `argparse.ArgumentParser`: the subcommand's parser.
    """
    parser = subparsers.add_parser(
        name, help=help, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if model_help is not None:
        parser.add_argument("--model", required=True, metavar="DIR", help=model_help)
    parser.set_defaults(handler=handler)
    return parser


def add_batch_size(parser: argparse.ArgumentParser, default: int, items: str) -> None:
    """Add `--batch_size N`: how many `items` (texts, prompts) one forward pass takes."""
    parser.add_argument(
        "--batch_size", type=int, default=default, metavar="N", help=f"{items} per forward pass (default {default})"
    )


def check_at_least(args: argparse.Namespace, **minimums: int) -> None:
    """Refuse an option below its minimum (an option left at `None` is not given), before any model loads.

    Args:
        args (`argparse.Namespace`): the parsed command line.
        minimums (`int`): the smallest value of each option, by its name, e.g. `batch_size=1`.

    Raises:
        CLIError: `--NAME must be at least M, got V.` for the first option below its minimum.
    """
    for name, minimum in minimums.items():
        value = getattr(args, name)
        if value is not None and value < minimum:
            raise CLIError(f"--{name} must be at least {minimum}, got {value}.")


#: The options by which a user takes model selection into their own hands.
SELECTION_OPTIONS = ("--eval_strategy", "--save_strategy", "--load_best_model_at_end")


def named_options(argv: list[str] | None) -> set[str]:
    """The `--options` a command line names (`argv`, default `sys.argv[1:]`), `--name=value` included."""
    return {arg.split("=", 1)[0] for arg in (sys.argv[1:] if argv is None else argv) if arg.startswith("--")}


def select_on_dev(parser: Any, metric: str, argv: list[str] | None) -> None:
    """Make the best epoch on dev (by `metric`) the training scripts' default model selection.

    `TrainingArguments` alone neither evaluates nor keeps the best checkpoint, so a bare
    `hf-sentiment train ...` would score its *last* epoch on test. Unless `argv` (default:
    `sys.argv[1:]`) names one of `SELECTION_OPTIONS`, these become the parser's defaults: evaluate
    and save every epoch, keep at most the best and the last checkpoint, reload the best one at the
    end. A command line that names one of them gets `TrainingArguments`' own defaults for the rest,
    so e.g. `--save_strategy no` trains without selection instead of failing on a strategy mismatch.
    """
    if named_options(argv) & set(SELECTION_OPTIONS):
        return
    parser.set_defaults(
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
    )


@dataclass
class EarlyStoppingArguments:
    """Stop training once dev stops improving (transformers' `EarlyStoppingCallback`)."""

    early_stopping_patience: int | None = field(
        default=None,
        metadata={
            "help": "Stop after this many evaluations without a better dev `metric_for_best_model` "
            "(the best checkpoint is still the one reloaded); 0 trains every epoch."
        },
    )


def early_stopping_callbacks(arguments: EarlyStoppingArguments, training_args: TrainingArguments) -> list[Any]:
    """`[EarlyStoppingCallback(patience)]` for a patience of 1 or more, else `[]` (`None` or 0).

    Raises:
        CLIError: the patience is negative, or nothing is evaluated and reloaded by a metric (the
            callback would fail only after the first epoch).
    """
    patience = arguments.early_stopping_patience
    if not patience:
        return []
    if patience < 0:
        raise CLIError(f"--early_stopping_patience must be 0 (off) or more, got {patience}.")
    if not training_args.load_best_model_at_end or training_args.metric_for_best_model is None:
        raise CLIError("--early_stopping_patience needs model selection on dev (--load_best_model_at_end and a metric).")
    from transformers import EarlyStoppingCallback

    return [EarlyStoppingCallback(early_stopping_patience=patience)]


def logged_means_by_epoch(state: Any, key: str) -> list[float | None]:
    """The mean of `key` over the training log lines of each epoch (`state.log_history`), epoch 1
    first, `None` for an epoch without such a line (so that position e is always epoch e + 1): e.g.
    LCL's `weighting_entropy`, to see a diagnostic's course over training. A line belongs to the
    epoch its step ends in (its window of steps may start in the epoch before)."""
    by_epoch: dict[int, list[float]] = {}
    for entry in state.log_history:
        if key in entry:
            by_epoch.setdefault(max(1, math.ceil(entry["epoch"] - 1e-9)), []).append(entry[key])
    last = max(by_epoch, default=0)
    return [statistics.fmean(by_epoch[e]) if e in by_epoch else None for e in range(1, last + 1)]


def selected_checkpoint(state: Any) -> dict[str, Any]:
    """What model selection reloaded, for a run's record: `selected_step` (the best checkpoint's
    global step), `selected_epoch` (the epoch of the dev evaluation logged at that step),
    `selected_dev_score` (its value of `metric_for_best_model`) and `last_epoch` (where training
    stopped). `trainer.evaluate()`'s own `epoch` is the last counter, not the reloaded checkpoint's,
    which is why both are kept. The three `selected_*` values are `None` when nothing was selected.

    Args:
        state (`transformers.TrainerState`): the trainer's state after `train()`.
    """
    step = state.best_global_step
    evaluations = [entry for entry in state.log_history if any(key.startswith("eval_") for key in entry)]
    epoch = next((entry.get("epoch") for entry in evaluations if step and entry.get("step") == step), None)
    return {
        "selected_step": step or None,
        "selected_epoch": epoch,
        "selected_dev_score": state.best_metric,
        "last_epoch": state.epoch,
    }


def require_rows(dataset: Any, what: str) -> Any:
    """`dataset`, which must hold a row: training on nothing would otherwise fail deep inside
    `Trainer` ("No columns in the dataset match the model's forward method signature").

    Args:
        dataset (`datasets.Dataset`): a split as read.
        what (`str`): names it in the error, e.g. `"--train_file data/train.txt"`.

    Raises:
        `CLIError`: when it is empty.
    """
    if len(dataset) == 0:
        raise CLIError(f"{what}: no rows to train or evaluate on (an empty file, or every row left out)")
    return dataset


def resolve_data_dir(given: str | os.PathLike[str] | None) -> Path:
    """The shared data folder by the one rule of `hf_sentiment.data.shared_data.find_data_dir`:
    `given` (`--data_dir`), else `$HF_SENTIMENT_DATA`, else `../shared/data` beside a checkout.

    Args:
        given (`str` or `os.PathLike`, *optional*): the folder the user passed.

    Returns:
        `Path`: an existing folder.

    Raises:
        SystemExit: with a message naming `--data_dir` and the variable, when no folder is found or
            the one named does not exist (the training mains report their user errors this way; the
            command line prints it as an error).
    """
    from ..data.shared_data import DATA_ENV, find_data_dir
    path = find_data_dir(given)
    if path is None:
        raise SystemExit(f"this job reads the shared data folder: pass --data_dir DIR or set {DATA_ENV}.")
    if not path.is_dir():
        raise SystemExit(f"data folder {path} does not exist: pass --data_dir DIR or set {DATA_ENV}.")
    return path


def config_arguments(config_class: type, *, exclude: Iterable[str] = ()) -> type:
    """A dataclass for `HfArgumentParser` with one option per hyper-parameter of `config_class`.

    The options come from the config itself (`config_hyperparameters`: its `__init__` signature for
    names, types and defaults, its docstring's `Args:` for the help), so no default is written twice.
    Every field defaults to `None`, meaning "not given": `config_overrides` forwards only what the
    user set, and the config supplies the rest. A `bool` option also takes no value (`--flag` means
    `True`), as `HfArgumentParser` does for plain `bool` fields; `add_negative_flags` adds the
    `--no_flag` form for those whose config default is `True`.

    Args:
        config_class (`type`): e.g. `FCKTConfig`.
        exclude (`Iterable[str]`, *optional*): hyper-parameters the script sets itself.

    Returns:
        `type`: a dataclass named `<ConfigClass>Arguments`.
    """
    from ..model_cards.hyperparameters import config_hyperparameters
    excluded = set(exclude)
    fields = []
    for hyperparameter in config_hyperparameters(config_class):
        if hyperparameter.name in excluded:
            continue
        # argparse %-formats help texts.
        text = hyperparameter.help.replace("%", "%%") or f"{config_class.__name__}.{hyperparameter.name}."
        metadata: dict[str, Any] = {"help": f"{text} [{config_class.__name__} default: {hyperparameter.default!r}]"}
        if hyperparameter.type is bool:
            metadata.update(nargs="?", const=True)
        fields.append((hyperparameter.name, hyperparameter.type | None, field(default=None, metadata=metadata)))
    arguments = make_dataclass(f"{config_class.__name__}Arguments", fields)
    arguments.__module__ = __name__
    arguments.__doc__ = f"`{config_class.__name__}`'s hyper-parameters as command-line options (`None`: not given)."
    arguments.config_class = config_class
    return arguments


def add_negative_flags(parser: Any, arguments: type) -> None:
    """Add `--no_NAME` for each `bool` option of `arguments` (from `config_arguments`) whose config
    default is `True`, as `HfArgumentParser` does for a `bool` field that defaults to `True`."""
    from ..model_cards.hyperparameters import config_hyperparameters
    defaults = {h.name: h.default for h in config_hyperparameters(arguments.config_class)}
    for option in fields_of(arguments):
        if option.type == bool | None and defaults.get(option.name) is True:
            parser.add_argument(
                f"--no_{option.name}", f"--no-{option.name.replace('_', '-')}", action="store_const", const=False,
                dest=option.name, default=None, help=f"Set {option.name} to False.",
            )  # fmt: skip


@dataclass
class OutputFolderArguments:
    """The one option every `hf-sentiment train` command adds to `TrainingArguments`."""

    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "Train into an --output_dir that already holds files: its model, checkpoints, card and results "
            "are replaced. Without it such a folder is refused, unless --resume_from_checkpoint continues the run "
            "it holds."
        },
    )


def check_output_dir(output_dir: str | os.PathLike[str], resume_from_checkpoint: str | None, overwrite: bool) -> None:
    """Refuse to train where a run would be lost, and to resume from a checkpoint that is not there.

    transformers v5 dropped `overwrite_output_dir` and `Trainer` writes into any folder, deleting
    older checkpoints under `save_total_limit`; a finished run is worth more than the keystroke
    that confirms replacing it.

    Args:
        output_dir (`str` or `os.PathLike`): the run's `--output_dir`.
        resume_from_checkpoint (`str`, *optional*): `--resume_from_checkpoint`; it must be a
            checkpoint folder (one with `trainer_state.json`).
        overwrite (`bool`): `--overwrite_output_dir`.

    Raises:
        `CLIError`: for a missing checkpoint, or an `output_dir` that holds files when neither
            `overwrite` nor `resume_from_checkpoint` is given.
    """
    if resume_from_checkpoint is not None:
        checkpoint = Path(resume_from_checkpoint)
        if not (checkpoint / "trainer_state.json").is_file():
            what = "is not a checkpoint folder (no trainer_state.json)" if checkpoint.is_dir() else "does not exist"
            raise CLIError(
                f"--resume_from_checkpoint {checkpoint} {what}; give a checkpoint-N folder of an earlier run"
            )
        return
    folder = Path(output_dir)
    if overwrite or not folder.exists():
        return
    if not folder.is_dir():
        raise CLIError(f"--output_dir {folder} is a file, not a folder")
    held = sorted(path.name for path in folder.iterdir())
    if held:
        shown = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "")
        raise CLIError(
            f"--output_dir {folder} already holds files ({shown}): pass --overwrite_output_dir to replace them, "
            f"or --resume_from_checkpoint {folder}/checkpoint-N to continue that run"
        )


def parse_training_arguments(parser: HfArgumentParser, argv: list[str] | None) -> tuple[Any, ...]:
    """Parse a `training_parser`'s options and check the output folder (`check_output_dir`).

    Args:
        parser (`HfArgumentParser`): from `training_parser`; its last dataclass is a
            `TrainingArguments` (or a subclass), as in every training script.
        argv (`list[str]`, *optional*): the options (default: `sys.argv[1:]`).

    Returns:
        `tuple`: one instance per dataclass given to `training_parser`, in that order.
    """
    *parsed, folder = parser.parse_args_into_dataclasses(argv)
    training_args = parsed[-1]
    check_output_dir(training_args.output_dir, training_args.resume_from_checkpoint, folder.overwrite_output_dir)
    return tuple(parsed)


def training_parser(dataclass_types: Iterable[type], prog: str | None = None) -> HfArgumentParser:
    """The `HfArgumentParser` of a training script: one over `dataclass_types` and
    `OutputFolderArguments`, with the `--no_NAME` flags (`add_negative_flags`) of each
    `config_arguments` dataclass among them. `parse_training_arguments` parses it.

    Args:
        dataclass_types (`Iterable[type]`): the script's argument dataclasses, in `--help` order.
        prog (`str`, *optional*): names the command in `--help` and usage errors.

    Returns:
        `HfArgumentParser`: the parser.
    """
    from transformers import HfArgumentParser  # here, so that `hf-sentiment --help` stays quick

    types = (*dataclass_types, OutputFolderArguments)
    parser = HfArgumentParser(types, prog=prog)
    for arguments in types:
        if getattr(arguments, "config_class", None) is not None:
            add_negative_flags(parser, arguments)
    return parser


def config_overrides(arguments: Any) -> dict[str, Any]:
    """The options of a `config_arguments` instance that the user gave, as config keyword arguments."""
    given = {option.name: getattr(arguments, option.name) for option in fields_of(arguments)}
    return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class ModelFolder:
    """A saved model folder and what its `config.json` says it is."""

    path: Path
    config: dict[str, Any]

    @property
    def model_type(self) -> str:
        return str(self.config.get("model_type", ""))

    @property
    def architectures(self) -> list[str]:
        return list(self.config.get("architectures") or [])

    @property
    def kind(self) -> str:
        """`fckt`, `classifier`, `softmcl`, `causal-lm` or `other`: what the subcommands dispatch on."""
        if self.model_type == "fckt":
            return "fckt"
        if self.model_type == "softmcl":
            return "softmcl"
        if self.model_type == "lcl" or any(a.endswith("ForSequenceClassification") for a in self.architectures):
            return "classifier"
        if any(a.endswith("ForCausalLM") for a in self.architectures):
            return "causal-lm"
        return "other"

    def describe(self) -> str:
        shown = self.architectures[0] if self.architectures else self.model_type or "an unknown model"
        return f"{self.path} holds {shown} (model_type {self.model_type!r})"


#: The files `hub_snapshot` fetches: config, safetensors weights, tokenizer, code, card, ONNX graph.
HUB_MODEL_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.py", "*.md", "*.onnx"]


def hub_snapshot(name: str, option: str = "--model") -> Path:
    """The local folder of the Hub model `name` (`owner/model`), through `huggingface_hub`: from the
    cache when it holds it (`HF_HUB_OFFLINE=1` reads nothing else), else downloaded.

    Raises:
        CLIError: `name` is no folder and no valid Hub id, or the Hub could not give the model.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    if not name.count("/") == 1 or name.startswith((".", "/", "~")):
        raise CLIError(f"{option} {name}: no such folder (nor a Hub model id, which reads 'owner/model').")
    try:
        # What a model folder of ours holds; pickled weights would be refused anyway.
        return Path(snapshot_download(name, allow_patterns=HUB_MODEL_FILES))
    except HFValidationError:
        raise CLIError(f"{option} {name}: no such folder, and not a valid Hub model id.") from None
    except Exception as error:  # offline and not cached, unknown repository, no network, ...
        raise CLIError(
            f"{option} {name}: no such folder, and the Hub model could not be loaded "
            f"({type(error).__name__}: {error})."
        ) from None


def model_folder(path: str | os.PathLike[str], option: str = "--model") -> ModelFolder:
    """Check that `path` is a saved model folder, or a Hub model id (`hub_snapshot`), and read its config.

    Raises:
        CLIError: the folder is missing (and no Hub model), is a file, has no `config.json` (with a hint when it is a
            PEFT adapter), or its `config.json` is not a JSON object.
    """
    folder = Path(path)
    if not folder.exists():
        folder = hub_snapshot(str(path), option)
    if not folder.is_dir():
        raise CLIError(f"{option} {folder}: expected a model folder (from save_pretrained), got a file.")
    config_file = expect_file(
        folder,
        option,
        "config.json",
        instead=(
            "adapter_config.json",
            "is a PEFT adapter, not a full model: merge it first with "
            f"`hf-sentiment export distilled --model {folder} --output DIR` (or pass --adapter where offered).",
        ),
        otherwise="is not a model folder: it has no config.json (save it with save_pretrained).",
    )
    return ModelFolder(folder, read_json_object(config_file))


#: The files one of which a saved tokenizer writes.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "tokenizer.model")
#: Weight files that unpickle when loaded (they can run code): refused, safetensors only.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


def load_model_and_tokenizer(folder: ModelFolder, auto_class: Any, option: str = "--model") -> tuple[Any, Any]:
    """The model (with `auto_class`, e.g. `AutoModel`) and the tokenizer saved in `folder`, each
    checked so that a bad folder ends in one line instead of a library traceback or, worse, a
    model with freshly initialised weights that predicts noise with exit status 0.

    Raises:
        CLIError: the folder holds no safetensors weights (only pickles, or none), weights that
            cannot be read (corrupt), weights that do not fit the model its `config.json` names
            (missing parameters), or no tokenizer that loads.
    """
    path = folder.path
    if not list(path.glob("*.safetensors")):
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise CLIError(
                f"{option} {path} holds only pickle weights ({', '.join(pickles)}); hf-sentiment loads safetensors "
                "only (a pickle can run code when loaded): load it yourself if you trust it and re-save it with "
                "save_pretrained, which writes model.safetensors."
            )
        raise CLIError(
            f"{option} {path} holds no weights (no *.safetensors file); save the model with save_pretrained."
        )
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    import hf_sentiment

    # The entry point deferred the package's import; the folder's model type and our pipelines must
    # be registered before transformers resolves them.
    hf_sentiment._import_everything()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report table: our one line below says what matters
    try:
        model, info = auto_class.from_pretrained(path, output_loading_info=True)
    except Exception as error:  # safetensors' SafetensorError, OSError, ...: a damaged file
        if os.environ.get("HF_SENTIMENT_DEBUG"):
            raise
        raise CLIError(f"{option} {path}: its weights could not be read ({type(error).__name__}: {error}).") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    missing, unexpected = sorted(info["missing_keys"]), sorted(info["unexpected_keys"])
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        extra = f"; {len(unexpected)} it does not know (e.g. {unexpected[0]})" if unexpected else ""
        raise CLIError(
            f"{option} {path}: its weights do not fit the {type(model).__name__} its config.json names: "
            f"{len(missing)} parameters missing ({shown}){extra}."
        )
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise CLIError(
            f"{option} {path} holds no tokenizer (none of {', '.join(TOKENIZER_FILES)}); "
            "save it beside the model with tokenizer.save_pretrained."
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as error:  # OSError (no files), tokenizers' own Exception (a broken tokenizer.json)
        if os.environ.get("HF_SENTIMENT_DEBUG"):
            raise
        raise CLIError(
            f"{option} {path}: its tokenizer could not be loaded ({type(error).__name__}: {error}); "
            "save it beside the model with tokenizer.save_pretrained."
        ) from None
    return model.eval(), tokenizer


def expect_file(folder: Path, option: str, name: str, *, instead: tuple[str, str], otherwise: str) -> Path:
    """`folder / name`, the file that makes `folder` what a command needs (`config.json` for a model,
    `adapter_config.json` for a PEFT adapter), or a `CLIError` that says what the folder is instead.

    Args:
        folder (`Path`): the folder the user named.
        option (`str`): the option that named it, e.g. `--model`.
        name (`str`): the file the folder must hold.
        instead (`tuple[str, str]`): `(file, what)`: a folder holding `file` but not `name` is the
            other kind (an adapter where a model is needed, or the reverse), and the error says `what`.
        otherwise (`str`): what the error says of a folder holding neither file.

    Returns:
        `Path`: `folder / name`, an existing file.

    Raises:
        CLIError: `{option} {folder} {what}` or `{option} {folder} {otherwise}`.
    """
    file = folder / name
    if not file.is_file():
        other, what = instead
        raise CLIError(f"{option} {folder} {what if (folder / other).is_file() else otherwise}")
    return file


#: What `expect_file` says of a folder where a PEFT adapter is needed and none is.
NOT_AN_ADAPTER = "is not a PEFT adapter folder: it has no adapter_config.json"


def read_json_object(file: Path) -> dict[str, Any]:
    """The JSON object in `file` (a `config.json` or `adapter_config.json`).

    Raises:
        CLIError: the file is not UTF-8 JSON, or holds something other than an object.
    """
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CLIError(f"{file}: not valid JSON ({error}).") from None
    if not isinstance(value, dict):
        raise CLIError(f"{file}: expected a JSON object.")
    return value


def require_kind(folder: ModelFolder, kinds: Iterable[str], job: str, hint: str = "") -> None:
    """Raise `CLIError` unless the folder holds one of `kinds` of model."""
    kinds = tuple(kinds)
    if folder.kind not in kinds:
        expected = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise CLIError(f"{job} needs {expected}, but {folder.describe()}.{' ' + hint if hint else ''}")


_KIND_NAMES = {
    "fckt": "an FCKT targeted-sentiment model",
    "classifier": "a sequence classifier (LCL or any *ForSequenceClassification)",
    "softmcl": "a SoftMCL pre-training folder",
    "causal-lm": "a causal language model",
}


def input_file(path: str | os.PathLike[str], option: str = "--file") -> Path:
    """`path` as an existing file, or `CLIError`."""
    file = Path(path)
    if not file.exists():
        raise CLIError(f"{option} {file}: no such file.")
    if not file.is_file():
        raise CLIError(f"{option} {file}: expected a file, got a folder.")
    return file


@dataclass
class DatasetNameArguments:
    """`--dataset_name` / `--dataset_config_name`, as in transformers' example scripts: data from
    `datasets` instead of files. A train command's data arguments inherit these."""

    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "A `datasets` dataset instead of the files: a Hub name (read from the cache when offline) or a "
            "local folder (from save_to_disk, or holding data files). Splits: train, validation (or dev), test."
        },
    )
    dataset_config_name: str | None = field(
        default=None, metadata={"help": "The dataset's configuration, if it has several.", "aliases": ["--dataset_config"]}
    )


def load_dataset_splits(name: str, config: str | None = None, option: str = "--dataset_name") -> Any:
    """The splits of the `datasets` dataset `name` as a `DatasetDict` (a single `Dataset` becomes its
    `train` split): `load_from_disk` for a folder that `save_to_disk` wrote, else `load_dataset`
    (a local folder of data files, or a Hub name, which `HF_HUB_OFFLINE=1` reads from the cache).

    Raises:
        CLIError: the dataset could not be loaded; the message says why.
    """
    from datasets import Dataset, DatasetDict, load_dataset, load_from_disk

    folder = Path(name)
    saved = folder.is_dir() and any((folder / marker).is_file() for marker in ("dataset_dict.json", "state.json"))
    if saved and config is not None:
        raise CLIError(
            f"{option} {name} is a save_to_disk folder, which has no configurations: drop --dataset_config_name."
        )
    try:
        loaded = load_from_disk(str(folder)) if saved else load_dataset(name, config)
    except Exception as error:  # not found, offline and not cached, bad files, ...: datasets' own message
        if os.environ.get("HF_SENTIMENT_DEBUG"):
            raise
        raise CLIError(f"{option} {name}: could not be loaded ({type(error).__name__}: {error}).") from None
    return DatasetDict({"train": loaded}) if isinstance(loaded, Dataset) else loaded


def dataset_split(splits: Any, names: tuple[str, ...], option: str, required: bool = True) -> Any:
    """The first of `names` among `splits` (e.g. `("validation", "dev")`); `None` when absent and
    not `required`.

    Raises:
        CLIError: a required split is missing; the message lists the splits there are.
    """
    for name in names:
        if name in splits:
            return splits[name]
    if required:
        raise CLIError(f"{option}: the dataset has no {' or '.join(names)} split (it has {', '.join(splits)}).")
    return None


def configure_logging(training_args: TrainingArguments) -> None:
    """The train commands' logging: hf-sentiment's progress at INFO on stdout, transformers as `--log_level` says.

    With `--log_level` left at "passive", transformers stays at WARNING while hf-sentiment says what
    it does at INFO (on the main process; replicas follow `--log_level_replica`, WARNING by default).
    A `--log_level` given sets both.
    """
    from transformers.utils import logging as transformers_logging

    process_level = training_args.get_process_log_level()
    ours = logging.INFO if training_args.log_level == "passive" and training_args.should_log else process_level
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=ours, stream=sys.stdout)
    transformers_logging.set_verbosity(process_level)
    set_verbosity(ours)

__all__ = [
    "CLIError",
    "DatasetNameArguments",
    "EarlyStoppingArguments",
    "ModelFolder",
    "NOT_AN_ADAPTER",
    "OutputFolderArguments",
    "add_batch_size",
    "add_command",
    "add_negative_flags",
    "check_at_least",
    "check_output_dir",
    "config_arguments",
    "config_overrides",
    "configure_logging",
    "dataset_split",
    "early_stopping_callbacks",
    "expect_file",
    "hub_snapshot",
    "input_file",
    "load_dataset_splits",
    "load_model_and_tokenizer",
    "logged_means_by_epoch",
    "model_folder",
    "parse_training_arguments",
    "read_json_object",
    "require_kind",
    "require_rows",
    "resolve_data_dir",
    "select_on_dev",
    "selected_checkpoint",
    "training_parser",
]
