"""Data: readers into documented `datasets.Dataset` schemas, encoders, collators, errors, reports.

- targeted sentiment (`absa_readers`, `aspect_encoding`): text + aspects with character offsets;
- sentence classification (`classification_readers`, `augmentation`): text + one class label;
- valence (`valence`, `valence_encoding`): word lexicons, EmoBank, SoftMCL pre-training inputs.
"""

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
from .augmentation import (
    DataCollatorWithAugmentedView,
    RandomTokenDeletion,
    RandomTokenMasking,
    RandomTokenSwap,
    SynonymReplacement,
    TextAugmenter,
)
from .classification_readers import (
    EMPATHETIC_DIALOGUES_LABELS,
    SST2_LABELS,
    SST5_LABELS,
    classification_features,
    read_classification_file,
    read_empathetic_dialogues,
    read_goemotions,
    read_sst,
    read_tweeteval,
    stratified_folds,
)
from .errors import DataFileNotFoundError, DataFormatError, ReadReport
from .sentibench import SENTIBENCH_TASKS, SentiBenchExample, SentiBenchTask, read_sentibench
from .valence import ValenceLexicon, read_emobank, rescale
from .valence_encoding import DataCollatorForSoftMCL, encode_valence_corpus
from .wordnet import WordNetSynonyms

__all__ = [
    "ABSA_FEATURES",
    "ABSA_FORMATS",
    "EMPATHETIC_DIALOGUES_LABELS",
    "POLARITIES",
    "SENTIBENCH_TASKS",
    "SST2_LABELS",
    "SST5_LABELS",
    "DataCollatorForSoftMCL",
    "DataCollatorForTargetedSentiment",
    "DataCollatorWithAugmentedView",
    "DataFileNotFoundError",
    "DataFormatError",
    "RandomTokenDeletion",
    "RandomTokenMasking",
    "RandomTokenSwap",
    "ReadReport",
    "SentiBenchExample",
    "SentiBenchTask",
    "SynonymReplacement",
    "TextAugmenter",
    "ValenceLexicon",
    "WordNetSynonyms",
    "classification_features",
    "encode_aspects",
    "encode_valence_corpus",
    "load_absa",
    "normalize_polarity",
    "read_absa_file",
    "read_classification_file",
    "read_dong2014",
    "read_e2e_absa",
    "read_emobank",
    "read_empathetic_dialogues",
    "read_goemotions",
    "read_semeval14_xml",
    "read_sentibench",
    "read_sentibench_atsa",
    "read_sst",
    "read_tweeteval",
    "rescale",
    "stratified_folds",
]
