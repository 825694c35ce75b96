"""Targeted-sentiment data: readers (schema in ``absa_readers``), errors, reports and encoding."""

from .absa_readers import (
    ABSA_FEATURES,
    ABSA_FORMATS,
    POLARITIES,
    load_absa,
    normalize_polarity,
    read_absa_file,
    read_dong2014,
    read_e2e_absa,
    read_semeval14_xml,
    read_sentibench_atsa,
)
from .aspect_encoding import DataCollatorForTargetedSentiment, encode_aspects
from .errors import DataFormatError, ReadReport

__all__ = [
    "ABSA_FEATURES",
    "ABSA_FORMATS",
    "POLARITIES",
    "DataCollatorForTargetedSentiment",
    "DataFormatError",
    "ReadReport",
    "encode_aspects",
    "load_absa",
    "normalize_polarity",
    "read_absa_file",
    "read_dong2014",
    "read_e2e_absa",
    "read_semeval14_xml",
    "read_sentibench_atsa",
]
