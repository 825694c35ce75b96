"""Security: hardened XML, no pickle anywhere, safetensors-only weights, no remote code needed.

* XML: billion-laughs, quadratic-blowup and external-entity files are refused with a
  ``DataFormatError`` naming the file, without expanding anything (memory and time stay small) and
  without opening the referenced file (watched with an audit hook).
* A static scan (``ast``) of every ``hf_sentiment`` source: no pickle-family import (also not by
  name through ``importlib``/``__import__``), ``torch.load`` only with ``weights_only=True``, no
  ``trust_remote_code`` other than ``False``, no ``eval``/``exec``/``compile``, no
  ``allow_pickle=True`` or ``safe_serialization=False``, XML parsed only through defusedxml. The
  scanner is itself tested on snippets that must and must not be flagged.
* Saving each of our models writes ``model.safetensors`` and no pickle-format weights; the Python
  files in the folder are byte-for-byte hf_sentiment's own.
* With hf_sentiment imported, the ``Auto*`` classes and ``pipeline("targeted-sentiment")`` load
  those folders with ``trust_remote_code=False`` and return hf_sentiment's classes, never a
  ``transformers_modules`` copy.
"""

from __future__ import annotations

import ast
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from tests.utils import assert_carries_its_code, write
from tests.utils.tiny_causal_lm import tiny_causal_lm, tiny_tokenizer
from tests.utils.tiny_encoders import tiny_bert_config
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForPreTraining,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    pipeline,
)

import hf_sentiment
from hf_sentiment import (
    DataFormatError,
    FCKTConfig,
    FCKTForTargetedSentiment,
    LCLConfig,
    LCLForSequenceClassification,
    SoftMCLConfig,
    SoftMCLForPreTraining,
    TargetedSentimentPipeline,
    load_absa,
    read_semeval14_xml,
)
from hf_sentiment.offline import offline_minilm_path

PACKAGE = Path(hf_sentiment.__file__).parent
SECRET = "TOP-SECRET-7f3a"

# ================================================================================ XML


def billion_laughs(levels: int = 10) -> str:
    """The classic: ten entities, each ten of the one before; &lol9; is 10**9 'lol's."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sentences [\n{chr(10).join(entities)}\n]>\n'
        f'<sentences><sentence id="1"><text>&lol{levels - 1};</text></sentence></sentences>\n'
    )


def quadratic_blowup(size: int = 50_000, references: int = 50_000) -> str:
    """One large entity referenced many times (no nesting): 2.5 GB of text if expanded."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sentences [<!ENTITY big "{"x" * size}">]>\n'
        f'<sentences><sentence id="1"><text>{"&big;" * references}</text></sentence></sentences>\n'
    )


def external_entity(secret: Path) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sentences [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<sentences><sentence id="1"><text>The battery &xxe; is great.</text></sentence></sentences>\n'
    )


def external_parameter_entity(dtd: Path) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sentences [<!ENTITY % remote SYSTEM "{dtd.as_uri()}"> %remote;]>\n'
        '<sentences><sentence id="1"><text>The battery &secret; is great.</text></sentence></sentences>\n'
    )


def external_dtd(dtd: Path) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE sentences SYSTEM "{dtd.as_uri()}">\n'
        '<sentences><sentence id="1"><text>The battery &secret; is great.</text></sentence></sentences>\n'
    )


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event in ("open", "urllib.Request", "socket.connect"):
        _OPENED.append(f"{event} {args[0]!r}")


sys.addaudithook(_audit)  # cannot be removed; it records only inside `opened_files()`


@contextmanager
def opened_files():
    """Record what is opened (files, URLs, sockets) inside the block."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


@pytest.fixture
def secrets(tmp_path) -> tuple[Path, Path]:
    secret = write(tmp_path, "secret.txt", SECRET)
    dtd = write(tmp_path, "remote.dtd", f'<!ENTITY secret "{SECRET}">')
    return secret, dtd


XML_ATTACKS = {
    "billion_laughs": (lambda secret, dtd: billion_laughs(), "unsafe XML refused"),
    "quadratic_blowup": (lambda secret, dtd: quadratic_blowup(), "unsafe XML refused"),
    "external_entity": (lambda secret, dtd: external_entity(secret), "unsafe XML refused"),
    "external_parameter_entity": (lambda secret, dtd: external_parameter_entity(dtd), "unsafe XML refused"),
    # No entity declared inline: the DTD is not fetched, so &secret; is undefined.
    "external_dtd": (lambda secret, dtd: external_dtd(dtd), "undefined entity"),
}


@pytest.mark.parametrize("reader", [read_semeval14_xml, load_absa], ids=["read_semeval14_xml", "load_absa"])
@pytest.mark.parametrize("attack", XML_ATTACKS)
def test_xml_attacks_are_refused_without_expanding_or_fetching(tmp_path, secrets, reader, attack):
    build, fragment = XML_ATTACKS[attack]
    path = write(tmp_path, f"{attack}.xml", build(*secrets))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with opened_files() as opened, pytest.raises(DataFormatError) as error:
            reader(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.value.path, error.value.row, error.value.field) == (str(path), None, None)
    assert str(error.value).startswith(str(path)) and fragment in error.value.message
    assert SECRET not in str(error.value)
    assert any(str(path) in entry for entry in opened), "the audit hook saw the file itself being read"
    others = [entry for entry in opened if str(path) not in entry]
    assert not others, f"the reader opened {others}"
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB allocated: an entity was expanded"
    assert time.perf_counter() - started < 10


def test_the_attack_files_are_well_formed_attacks():
    """Small versions of the same files parse with the plain standard-library parser and do expand:
    the refusals above come from defusedxml refusing entities, not from a malformed file."""
    import xml.etree.ElementTree as unsafe_etree

    assert unsafe_etree.fromstring(billion_laughs(levels=3)).find("sentence/text").text == "lol" * 100
    expanded = unsafe_etree.fromstring(quadratic_blowup(size=10, references=20)).find("sentence/text").text
    assert expanded == "x" * 200


def test_inline_xinclude_is_not_followed(tmp_path, secrets):
    """An XInclude element is just an element: its target is not read, and markup inside <text> is refused."""
    content = (
        '<sentences xmlns:xi="http://www.w3.org/2001/XInclude"><sentence id="1"><text>The battery is great.'
        f'<xi:include href="{secrets[0].as_uri()}" parse="text"/></text></sentence></sentences>'
    )
    path = write(tmp_path, "xinclude.xml", content)
    with opened_files() as opened, pytest.raises(DataFormatError, match="XInclude}include> element") as error:
        read_semeval14_xml(path)
    assert (error.value.row, error.value.field) == (1, "text")
    assert not [entry for entry in opened if "secret" in entry]


# ======================================================================= static scan

PICKLE_FAMILY = {"pickle", "cPickle", "_pickle", "marshal", "dill", "joblib", "cloudpickle", "shelve"}
BUILTIN_CODE_RUNNERS = {"eval", "exec", "compile"}
# Imports by name are allowed (teachers.py picks its HTTP client's module from a fixed list), but not
# of the pickle family.
IMPORTERS = {"importlib.import_module", "__import__", "builtins.__import__"}
# The only name taken from the standard-library XML packages: a type, parsing goes through defusedxml.
ALLOWED_XML_IMPORTS = {("xml.etree.ElementTree", "Element")}


def _dotted(node: ast.AST) -> str:
    """`a.b.c` for an attribute chain on a name, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _is_constant(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((keyword for keyword in call.keywords if keyword.arg == name), None)


def scan(source: str, filename: str = "<snippet>") -> list[str]:
    """What in ``source`` breaks the rules above, as ``file:line: what`` strings."""
    tree = ast.parse(source, filename)
    found: list[str] = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{node.lineno}: {what}")

    safe_loads = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) in ("torch.load", "torch.serialization.load"):
            weights_only = _keyword(node, "weights_only")
            if weights_only is not None and _is_constant(weights_only.value, True):
                safe_loads.add(id(node.func))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in PICKLE_FAMILY:
                    flag(node, f"import {alias.name}")
                if root in ("xml", "lxml"):
                    flag(node, f"import {alias.name} (parse XML with defusedxml)")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            root = module.split(".")[0]
            names = {alias.name for alias in node.names}
            if root in PICKLE_FAMILY:
                flag(node, f"from {module} import ...")
            if root in ("xml", "lxml") and not {(module, name) for name in names} <= ALLOWED_XML_IMPORTS:
                flag(node, f"from {module} import {', '.join(sorted(names))} (parse XML with defusedxml)")
            if module.startswith("torch") and "load" in names:
                flag(node, f"from {module} import load")
        elif isinstance(node, ast.Attribute):
            if _dotted(node) in ("torch.load", "torch.serialization.load") and id(node) not in safe_loads:
                flag(node, "torch.load without weights_only=True")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in BUILTIN_CODE_RUNNERS or name in {f"builtins.{runner}" for runner in BUILTIN_CODE_RUNNERS}:
                flag(node, f"{name}()")
            module = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if name in IMPORTERS and str(module).split(".")[0] in PICKLE_FAMILY:
                flag(node, f"{name}({module!r})")
            if name in ("yaml.load", "yaml.unsafe_load"):
                flag(node, f"{name}() (use yaml.safe_load)")
            for keyword, required in (
                ("trust_remote_code", False),
                ("allow_pickle", False),
                ("safe_serialization", True),
            ):
                value = _keyword(node, keyword)
                if value is not None and not _is_constant(value.value, required):
                    flag(node, f"{keyword}={ast.unparse(value.value)}")
    return found


def test_the_package_is_clean():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 40, f"only {len(files)} files under {PACKAGE}"
    findings = [item for path in files for item in scan(path.read_text(encoding="utf-8"), str(path))]
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "import dill as d",
        "from joblib import load",
        "import marshal",
        "from pickle import loads",
        "import cloudpickle, os",
        "torch.load(f)",
        "torch.load(f, weights_only=False)",
        "torch.load(f, weights_only=flag)",
        "torch.serialization.load(f)",
        "from torch import load",
        "loader = torch.load",
        "AutoModel.from_pretrained(p, trust_remote_code=True)",
        "pipeline(m, trust_remote_code=flag)",
        "eval('1 + 1')",
        "exec(code)",
        "compile(source, 'f', 'exec')",
        "__import__('pickle')",
        "builtins.eval(text)",
        "importlib.import_module('pickle')",
        "np.load(p, allow_pickle=True)",
        "model.save_pretrained(p, safe_serialization=False)",
        "yaml.load(stream)",
        "import xml.etree.ElementTree as ET",
        "from xml.etree.ElementTree import fromstring",
        "from xml.etree.ElementTree import Element, parse",
        "from xml.dom import minidom",
        "import xml.sax",
        "from lxml import etree",
    ],
)
def test_the_scan_flags(snippet):
    assert scan(snippet), f"not flagged: {snippet}"


@pytest.mark.parametrize(
    "snippet",
    [
        "model.eval()",
        "torch.load(f, weights_only=True)",
        "torch.load(f, map_location='cpu', weights_only=True)",
        "from xml.etree.ElementTree import Element",
        "import defusedxml.ElementTree as safe_etree",
        "re.compile('x')",
        "torch.compile(model)",
        "AutoModel.from_pretrained(p)",
        "AutoModel.from_pretrained(p, trust_remote_code=False)",
        "model.save_pretrained(p)",
        "json.loads(s)",
        "yaml.safe_load(s)",
        "'trust_remote_code=True in a docstring'",
        "module = __import__(name)",
    ],
)
def test_the_scan_passes(snippet):
    assert scan(snippet) == []


# ================================================================== saved folders

PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz", ".h5", ".msgpack"}


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(offline_minilm_path())


@pytest.fixture(scope="module")
def folders(tmp_path_factory, tokenizer) -> dict[str, Path]:
    """Each of our models, tiny and random, saved with its tokenizer."""
    root = tmp_path_factory.mktemp("saved")
    torch.manual_seed(0)
    backbone = tiny_bert_config(tokenizer)
    models = {
        "fckt": FCKTForTargetedSentiment(FCKTConfig(backbone_config=backbone, span_threshold=-1e4)),
        "lcl": LCLForSequenceClassification(
            LCLConfig(backbone_config=backbone, id2label={0: "negative", 1: "positive"}, weighting_network="shared")
        ),
        "softmcl": SoftMCLForPreTraining(
            SoftMCLConfig(backbone_config=backbone, word_queue_size=8, sentence_queue_size=4, projection_dim=8)
        ),
    }
    saved = {}
    for name, model in models.items():
        model.save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
        saved[name] = root / name
    models["softmcl"].export_encoder(root / "softmcl-encoder", tokenizer=tokenizer)
    saved["softmcl-encoder"] = root / "softmcl-encoder"
    return saved


def _weights(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir() if path.suffix in PICKLE_SUFFIXES | {".safetensors"}}


@pytest.mark.parametrize("name", ["fckt", "lcl", "softmcl", "softmcl-encoder"])
def test_saved_weights_are_safetensors_only(folders, name):
    folder = folders[name]
    assert _weights(folder) == {"model.safetensors"}, sorted(path.name for path in folder.iterdir())
    with open(folder / "model.safetensors", "rb") as handle:  # a safetensors header, not a zip/pickle
        header = int.from_bytes(handle.read(8), "little")
        assert handle.read(1) == b"{" and 0 < header < 10**7


@pytest.mark.parametrize("name", ["fckt", "lcl", "softmcl"])
def test_remote_code_in_saved_folders_is_ours(folders, name):
    folder = folders[name]
    assert_carries_its_code(folder)
    ours: dict[str, list[bytes]] = {}
    for path in PACKAGE.rglob("*.py"):
        ours.setdefault(path.name, []).append(path.read_bytes())
    for path in folder.glob("*.py"):
        assert path.read_bytes() in ours.get(path.name, []), f"{path.name} is not a copy of an hf_sentiment file"
    assert not [path for path in folder.rglob("*") if path.is_dir()], "no sub-folders of code"


def test_the_distilled_student_and_its_adapter_are_safetensors(tmp_path):
    from peft import LoraConfig, get_peft_model

    lm_tokenizer = tiny_tokenizer()
    student = get_peft_model(
        tiny_causal_lm(lm_tokenizer), LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"])
    )
    student.save_pretrained(tmp_path / "adapter")
    assert _weights(tmp_path / "adapter") == {"adapter_model.safetensors"}
    student.merge_and_unload().save_pretrained(tmp_path / "merged")
    assert _weights(tmp_path / "merged") == {"model.safetensors"}


# ============================================================== no remote code needed


@contextmanager
def no_dynamic_modules():
    """Fail if anything is imported from transformers' remote-code module cache inside the block."""
    before = {name for name in sys.modules if name.startswith("transformers_modules")}
    yield
    after = {name for name in sys.modules if name.startswith("transformers_modules")}
    assert after == before, f"remote code was imported: {sorted(after - before)}"


@pytest.mark.parametrize(
    "name, auto_class, expected",
    [
        ("fckt", AutoModel, FCKTForTargetedSentiment),
        ("lcl", AutoModelForSequenceClassification, LCLForSequenceClassification),
        ("softmcl", AutoModelForPreTraining, SoftMCLForPreTraining),
    ],
)
def test_auto_classes_load_our_classes_without_remote_code(folders, name, auto_class, expected):
    with no_dynamic_modules():
        config = AutoConfig.from_pretrained(folders[name], trust_remote_code=False)
        model = auto_class.from_pretrained(folders[name], trust_remote_code=False)
    assert type(config).__module__.startswith("hf_sentiment.")
    assert type(model) is expected and type(model).__module__.startswith("hf_sentiment.")
    saved = expected.from_pretrained(folders[name])
    for key, value in saved.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_targeted_sentiment_pipeline_without_remote_code(folders):
    text = "The battery life is great but the screen is dim."
    with no_dynamic_modules():
        extractor = pipeline("targeted-sentiment", model=str(folders["fckt"]), trust_remote_code=False)
        results = extractor(text)
    assert type(extractor) is TargetedSentimentPipeline
    assert type(extractor.model) is FCKTForTargetedSentiment
    assert results, "the random model at threshold -1e4 extracts something"
    for found in results:
        assert text[found["start"] : found["end"]] == found["aspect"]


def test_text_classification_pipeline_without_remote_code(folders):
    with no_dynamic_modules():
        classifier = pipeline("text-classification", model=str(folders["lcl"]), trust_remote_code=False)
        result = classifier("Great battery.")
    assert type(classifier.model) is LCLForSequenceClassification
    assert result[0]["label"] in ("negative", "positive")
