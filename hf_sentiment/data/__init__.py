"""Data: readers into documented `datasets.Dataset` schemas, encoders, collators, errors, reports.

- targeted sentiment (`absa_readers` for files, `absa_sources` for any source and SetFit's layout,
  `aspect_encoding`): text + aspects with character offsets;
- sentence classification (`classification_readers`, `augmentation`): text + one class label;
- valence (`valence`, `valence_encoding`): word lexicons, EmoBank, SoftMCL pre-training inputs.
"""

from .absa_readers import (
    ABSA_FEATURES,
    ABSA_FORMATS,
    POLARITIES,
    normalize_polarity,
    read_absa_file,
    read_dong2014,
    read_e2e_absa,
    read_semeval14_xml,
    read_sentibench_atsa,
)
from .absa_sources import (
    SETFIT_ABSA_COLUMNS,
    SETFIT_ABSA_FEATURES,
    from_setfit_absa,
    load_absa,
    read_absa_dataset,
    to_setfit_absa,
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
    "SETFIT_ABSA_COLUMNS",
    "SETFIT_ABSA_FEATURES",
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
    "from_setfit_absa",
    "load_absa",
    "normalize_polarity",
    "read_absa_dataset",
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
    "to_setfit_absa",
]
