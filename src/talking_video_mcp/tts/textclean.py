"""Clean a script before it is spoken: markup and emoji are not read aloud.

People paste scripts written for other tools: SSML (`<speak>`, `<break time="1s"/>`,
`<emphasis>`), HTML, Markdown emphasis, and emoji. Voices read those literally ("less
than speak greater than", "party popper"). Tags are dropped (a break becomes a pause),
entities decoded, emoji and their modifiers removed, whitespace collapsed.
"""

from __future__ import annotations

import html
import re
import unicodedata

# A tag: <name ...>, </name>, <name/>; not "a < b > c" (a name must follow the bracket).
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_PAUSE_TAG = re.compile(r"<(?:break|p|/p|s|/s|br)\b[^<>]*>", re.IGNORECASE)
_MARKDOWN = re.compile(r"(\*{1,3}|_{2,3}|`+|^#{1,6}\s)", re.MULTILINE)
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_REPEATED_COMMA = re.compile(r"(?:,\s*){2,}")

# Emoji blocks and the invisible characters that build emoji sequences.
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),  # mahjong .. symbols & pictographs extended-A (incl. flags, skin tones)
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2B00, 0x2BFF),  # arrows and stars (⭐ ⬆)
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # technical (⌚ ⏰)
    (0xFE00, 0xFE0F),  # variation selectors
    (0xE0020, 0xE007F),  # tag characters (subdivision flags)
)
_EMOJI_SINGLES = {0x200D, 0x20E3, 0x00A9, 0x00AE, 0x2122, 0x3030, 0x303D, 0x3297, 0x3299}


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    if cp in _EMOJI_SINGLES:
        return True
    if any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES):
        return True
    return unicodedata.category(ch) == "So" and cp >= 0x2000


def clean_script(text: str) -> str:
    """The words to speak: markup tags, Markdown emphasis and emoji removed, one space between words."""
    text = _PAUSE_TAG.sub(", ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _MARKDOWN.sub(" ", text)
    text = "".join(" " if _is_emoji(ch) else ch for ch in text)
    text = _SPACES.sub(" ", text).strip()
    text = _REPEATED_COMMA.sub(", ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return text.strip(" ,")
