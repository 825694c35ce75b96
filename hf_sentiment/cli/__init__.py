"""The `hf-sentiment` command: the everyday jobs of each method from the shell.

    hf-sentiment train {fckt,lcl,softmcl,distill} [options]   # the training scripts (HfArgumentParser)
    hf-sentiment evaluate {fckt,lcl} --model DIR --file PATH  # scores as JSON
    hf-sentiment predict --model DIR [--input FILE|-]         # texts in, JSON lines out
    hf-sentiment export {softmcl,distilled} --model DIR --output DIR
    hf-sentiment sentibench --model DIR --tasks ... --seeds ...
    hf-sentiment serve --model DIR [--port 8000]              # an HTTP endpoint (POST /predict)
    hf-sentiment cache repair FILE                            # keep the valid lines of a teacher cache

`main(argv)` returns the exit status: 0 on success, 2 for a user error. User errors (missing files,
a folder that is not a model, the wrong kind of model, a malformed line, an unknown task) print one
line, `hf-sentiment: error: ...`, on stderr and never a traceback; anything else is a bug and keeps
its traceback. The training subcommands (`hf_sentiment.cli.train_*.main(argv)`, which return their
metrics) are the full jobs; `examples/` holds the same flows as short scripts to copy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from .common import CLIError, add_command

PROG = "hf-sentiment"
DEBUG_ENV = "HF_SENTIMENT_DEBUG"

TRAIN_METHODS = {
    "fckt": "FCKT targeted sentiment (aspect extraction + polarity) on ABSA files",
    "lcl": "a sentence classifier with label-aware contrastive loss on a built-in dataset",
    "softmcl": "SoftMCL-style sentiment-aware continued pre-training of an encoder",
    "distill": "targeted distillation (KnowDist / ICLDist) of a teacher LLM into a LoRA student",
}

#: The commands beside `train`: name -> (the line `hf-sentiment --help` shows, the help of its
#: `--model DIR`, or `None` for a command that takes none). Each is a module of this package with
#: `DESCRIPTION` (its own `--help`), `add_options(parser)` (its options beside `--model`) and
#: `run(args)` (the exit status).
COMMANDS = {
    "evaluate": ("score a saved FCKT or LCL model on a labelled file (JSON out)", "the saved model folder"),
    "predict": (
        "predict with an FCKT or classifier folder; texts in, JSON lines out",
        "a saved FCKT or sequence-classifier folder",
    ),
    "export": ("export a SoftMCL encoder or merge a distilled LoRA adapter", "the training folder (see above)"),
    "sentibench": (
        "few-shot SentiBench evaluation of a causal LM or LoRA adapter",
        "causal LM folder (or adapter, with --adapter)",
    ),
    "serve": ("serve an FCKT or classifier folder over HTTP (micro-batched)", "a saved FCKT or sequence-classifier folder"),
    "cache": ("repair a damaged teacher cache file (keeps every valid entry)", None),
}

DESCRIPTION = """\
Fine-grained sentiment analysis from the command line (hf_sentiment).

Run `hf-sentiment COMMAND --help` for each command's options, and
`hf-sentiment train METHOD --help` for every training option.

User errors print one line, `hf-sentiment: error: ...`, and exit with status 2;
set HF_SENTIMENT_DEBUG=1 to see the full traceback of an error instead.
"""

TRAIN_DESCRIPTION = (
    "Train one method; everything after METHOD goes to its own parser.\n\n"
    + "\n".join(f"  {name:<8} {summary}" for name, summary in TRAIN_METHODS.items())
    + (
        "\n\nThe last line printed is the final metrics as JSON.\n\n"
        "Example:\n  hf-sentiment train fckt --train_file train.txt --validation_file dev.txt --output_dir runs/fckt"
    )
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from ..version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)
    train = add_command(
        subparsers,
        "train",
        run_train,
        help="train FCKT, LCL, SoftMCL or a distilled student",
        description=TRAIN_DESCRIPTION,
    )
    train.add_argument("method", choices=tuple(TRAIN_METHODS), metavar="METHOD", help=", ".join(TRAIN_METHODS))
    # The method's own HfArgumentParser reads the rest, its --help included.
    train.add_argument("options", nargs=argparse.REMAINDER, help="the method's options (see METHOD --help)")
    for name, (summary, model_help) in COMMANDS.items():
        command = importlib.import_module(f".{name}", __name__)
        options = add_command(
            subparsers, name, command.run, help=summary, description=command.DESCRIPTION, model_help=model_help
        )
        command.add_options(options)
    return parser


def run_train(args: argparse.Namespace) -> int:
    module = importlib.import_module(f".train_{args.method}", __name__)
    metrics = module.main(list(args.options), prog=f"{PROG} train {args.method}")
    # Logs and demo output come first; the metrics are the last line, for scripts to read.
    sys.stdout.flush()
    sys.stdout.write(json.dumps(metrics, default=str) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: `sys.argv[1:]`); returns the exit status (`--help`
    and argparse's usage errors included, so in-process callers never see `SystemExit`)."""
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except CLIError as error:
        return _fail(str(error))
    except BrokenPipeError:  # before OSError, its base class
        # The reader stopped reading (`hf-sentiment predict ... | head`): not an error of ours. Point
        # stdout at /dev/null so the interpreter's final flush does not raise again, and exit as
        # a process killed by SIGPIPE does (128 + 13), silently.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except SystemExit as error:
        # The training mains report user errors as SystemExit("message"); argparse exits with a code.
        if isinstance(error.code, str):
            return _fail(error.code)
        return 0 if error.code is None else int(error.code)
    except (ImportError, OSError, ValueError) as error:
        # User errors too: a missing optional extra (the message says what to install), missing or
        # unreadable files, and checks of what the user passed (DataFormatError names file, row and
        # field; configs, TrainingArguments and readers raise ValueError). HF_SENTIMENT_DEBUG=1 keeps
        # the traceback for the rare case where one of these is a bug.
        if os.environ.get(DEBUG_ENV):
            raise
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    sys.stdout.flush()
    one_line = " ".join(message.split())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return 2


__all__ = ["COMMANDS", "PROG", "TRAIN_METHODS", "build_parser", "main"]
