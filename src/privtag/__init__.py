"""privtag: tag every sentence of a privacy policy with the data practices it states."""

from privtag.labels import LABELS
from privtag.segment import Document, Paragraph, Sentence, segment

__version__ = "0.1.0"
__all__ = ["LABELS", "Document", "Paragraph", "Sentence", "segment"]
