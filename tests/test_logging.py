"""hf-sentiment's loggers follow transformers' verbosity, unless given their own."""

from __future__ import annotations

import importlib
import logging

import pytest
import transformers

from hf_sentiment.utils.logging import get_logger, get_verbosity, set_verbosity

LOGGERS = ["hf_sentiment.data.absa_readers", "hf_sentiment.cli.train_fckt", "hf_sentiment.softmcl.modeling_softmcl"]


@pytest.fixture(autouse=True)
def restore_verbosity():
    # A train command run in this process (the CLI tests) leaves its own verbosity in force.
    set_verbosity(None)
    before = transformers.logging.get_verbosity()
    yield
    transformers.logging.set_verbosity(before)
    set_verbosity(None)


@pytest.mark.parametrize("name", LOGGERS)
def test_transformers_verbosity_silences_our_warnings(name, caplog):
    importlib.import_module(name)
    logger = logging.getLogger(name)  # the module's own logger, as the module made it
    transformers.logging.set_verbosity_warning()
    with caplog.at_level(logging.DEBUG):
        logger.warning("shown")
        transformers.logging.set_verbosity_error()
        logger.warning("hidden")
        logger.error("shown too")
    assert [record.getMessage() for record in caplog.records] == ["shown", "shown too"]


def test_our_own_verbosity_wins_over_transformers(caplog):
    logger = get_logger("hf_sentiment.data.absa_readers")
    transformers.logging.set_verbosity_warning()
    set_verbosity(logging.INFO)
    assert get_verbosity() == logging.INFO
    with caplog.at_level(logging.DEBUG):
        logger.info("progress")
        logger.debug("detail")
        set_verbosity(None)
        logger.info("quiet again")
    assert [record.getMessage() for record in caplog.records] == ["progress"]
