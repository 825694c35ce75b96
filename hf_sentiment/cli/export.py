"""`hf-sentiment export {softmcl,distilled}`: turn a training folder into a plain checkpoint.

- `softmcl`: a SoftMCL pre-training folder (`hf-sentiment train softmcl --output_dir ...`) becomes
  the encoder alone, a checkpoint of the backbone's own type with its tokenizer
  (`SoftMCLForPreTraining.export_encoder`), which every `AutoModel*` class loads without
  hf_sentiment.
- `distilled`: a LoRA adapter folder (`hf-sentiment train distill --output_dir ...`) becomes a
  merged causal LM (PEFT's `merge_and_unload`) with its tokenizer, which `AutoModelForCausalLM`
  loads without peft.

Both print a JSON line with the output folder and what it holds. The training folder's model card
goes with the export, opened by a paragraph on what the export is and how to load it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import (
    NOT_AN_ADAPTER,
    CLIError,
    expect_file,
    load_model_and_tokenizer,
    model_folder,
    read_json_object,
    require_kind,
)

DESCRIPTION = """\
Export a training folder as a plain checkpoint (prints one JSON line with the output folder).

  softmcl    --model: a SoftMCL pre-training folder; writes the encoder alone (the backbone's own type,
             e.g. BertForMaskedLM with its MLM head) and the tokenizer, loadable by any AutoModel* class.
  distilled  --model: a LoRA adapter folder from `train distill`; writes the student with the adapter
             merged into its weights (PEFT merge_and_unload) and the tokenizer, loadable by
             AutoModelForCausalLM without peft. The adapter's base model must be a folder here.
  onnx       --model: an FCKT folder; writes the folder with model.onnx beside it: the encoder and the
             boundary heads as one graph (dynamic batch and sequence axes, named inputs) that
             pipeline("targeted-sentiment", model=DIR, onnx=True) runs with ONNX Runtime
             (needs hf-sentiment[onnx]).

Examples:
  hf-sentiment export softmcl --model runs/softmcl --output runs/softmcl-encoder
  hf-sentiment export distilled --model runs/distill/icldist --output runs/student-merged
  hf-sentiment export onnx --model runs/fckt --output runs/fckt-onnx
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hf-sentiment export` beside `--model` (the parser comes from `hf_sentiment.cli.COMMANDS`)."""
    parser.add_argument("what", choices=("softmcl", "distilled", "onnx"), help="which kind of folder to export")
    parser.add_argument("--output", required=True, metavar="DIR", help="where to write the checkpoint")
    parser.add_argument(
        "--tokenizer", default=None, metavar="DIR", help="take the tokenizer from here (default: the --model folder)"
    )


def run(args: argparse.Namespace) -> int:
    source, output = Path(args.model), Path(args.output)
    if output.exists() and output.resolve() == source.resolve():
        raise CLIError("--output must differ from --model (the export would overwrite its own source).")
    if output.exists() and not output.is_dir():
        raise CLIError(f"--output {output}: a file is in the way; give a folder.")
    exporter = {"softmcl": _export_softmcl, "distilled": _export_distilled, "onnx": _export_onnx}[args.what]
    sys.stdout.write(json.dumps(exporter(source, output, args.tokenizer)) + "\n")
    return 0


def _tokenizer_folder(model: Path, tokenizer: str | None) -> Path:
    """Where the tokenizer lives; the trainers save it beside the weights, so that is the default."""
    folder = Path(tokenizer) if tokenizer else model
    if not any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt")):
        option = "--tokenizer" if tokenizer else "--model"
        raise CLIError(f"{option} {folder} has no tokenizer files; pass --tokenizer DIR with the training tokenizer.")
    return folder


def _export_softmcl(source: Path, output: Path, tokenizer: str | None) -> dict[str, Any]:
    folder = model_folder(source)
    require_kind(folder, ("softmcl",), "export softmcl", hint="Its folder comes from `hf-sentiment train softmcl`.")
    tokenizer_folder = _tokenizer_folder(folder.path, tokenizer)

    from transformers import AutoTokenizer

    from ..softmcl import SoftMCLForPreTraining

    model = SoftMCLForPreTraining.from_pretrained(folder.path)
    model.export_encoder(output, tokenizer=AutoTokenizer.from_pretrained(tokenizer_folder))
    config = json.loads((output / "config.json").read_text(encoding="utf-8"))
    architectures = config.get("architectures") or []
    note = (
        "**This folder is the encoder alone**, exported with `hf-sentiment export softmcl` from the pre-training "
        f"run this card describes: a plain `{'/'.join(architectures)}` checkpoint with its tokenizer (no key "
        "encoder, no queues). Load it with any `AutoModel*` class, without hf-sentiment or remote code: "
        '`AutoModel.from_pretrained("<this folder>")`.'
    )
    return {
        "output": str(output),
        "model_type": config.get("model_type"),
        "architectures": architectures,
        "card": _write_card(folder.path, output, note),
    }


def _export_onnx(source: Path, output: Path, tokenizer: str | None) -> dict[str, Any]:
    folder = model_folder(source)
    require_kind(folder, ("fckt",), "export onnx", hint="Its folder comes from `hf-sentiment train fckt`.")
    if tokenizer is not None:
        raise CLIError("export onnx takes the tokenizer saved in the --model folder; drop --tokenizer.")

    from transformers import AutoModel

    from ..fckt import export_onnx

    model, model_tokenizer = load_model_and_tokenizer(folder, AutoModel)
    path = export_onnx(model, model_tokenizer, output)
    note = (
        "**This folder adds `model.onnx`** (`hf-sentiment export onnx`): the encoder and the boundary heads of "
        "the model this card describes, as one ONNX graph with dynamic batch and sequence axes. "
        '`pipeline("targeted-sentiment", model="<this folder>", onnx=True)` runs it with ONNX Runtime and '
        "decodes as the PyTorch model does."
    )
    return {"output": str(output), "onnx": str(path), "card": _write_card(folder.path, output, note)}


def _export_distilled(source: Path, output: Path, tokenizer: str | None) -> dict[str, Any]:
    if not source.is_dir():
        raise CLIError(f"--model {source}: no such folder.")
    adapter_config = expect_file(
        source,
        "--model",
        "adapter_config.json",
        instead=(
            "config.json",
            "is a full model, not a LoRA adapter (no adapter_config.json): there is nothing to merge; use it as it is.",
        ),
        otherwise=f"{NOT_AN_ADAPTER}.",
    )
    base = read_json_object(adapter_config).get("base_model_name_or_path")
    # Offline, the base weights must be a local folder; say so before PEFT tries the Hub.
    if not base or not (Path(base) / "config.json").is_file():
        raise CLIError(
            f"{adapter_config}: its base model {base!r} is not a model folder on this machine; "
            "put the base model there (or edit base_model_name_or_path) and run again."
        )
    tokenizer_folder = _tokenizer_folder(source, tokenizer) if tokenizer else None
    if tokenizer_folder is None:
        # The distillation trainer saves the tokenizer with the adapter; older folders have it with the base.
        try:
            tokenizer_folder = _tokenizer_folder(source, None)
        except CLIError:
            tokenizer_folder = _tokenizer_folder(Path(base), str(base))

    from peft import AutoPeftModelForCausalLM
    from transformers import AutoTokenizer

    merged = AutoPeftModelForCausalLM.from_pretrained(source).merge_and_unload()
    merged.save_pretrained(output)
    AutoTokenizer.from_pretrained(tokenizer_folder).save_pretrained(output)
    note = (
        "**This folder is the distilled student with its LoRA adapter merged into the weights** "
        f"(`hf-sentiment export distilled`, PEFT's `merge_and_unload`): a plain `{'/'.join(merged.config.architectures)}` "
        'checkpoint with its tokenizer. Load it with `AutoModelForCausalLM.from_pretrained("<this folder>")`; '
        "peft is not needed."
    )
    return {
        "output": str(output),
        "base_model": str(base),
        "architectures": merged.config.architectures,
        "card": _write_card(source, output, note),
    }


def _write_card(source: Path, output: Path, note: str) -> str | None:
    """Carry the training folder's card over to the export (see `exported_card`); its path, or
    `None` when the training folder has no card."""
    from ..model_cards import exported_card

    card = exported_card(source, note)
    if card is None:
        return None
    card.save(output / "README.md")
    return str(output / "README.md")


__all__ = ["add_options", "run"]
