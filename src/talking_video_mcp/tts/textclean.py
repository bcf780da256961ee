"""Clean a script before it is spoken: markup and emoji are not read aloud.

People paste scripts written for other tools: SSML (`<speak>`, `<break time="1s"/>`,
`<emphasis>`), HTML, Markdown emphasis, and emoji. Voices read those literally ("less
than speak greater than", "party popper"). Tags are dropped (a break becomes a pause),
entities decoded, emoji and their modifiers removed, whitespace collapsed.

split_pauses() goes first when speaking: a `<break time="1s"/>` (or `strength="..."`) and
a paragraph break (a blank line, `<p>`) end a part, and the pause after each part is what
synthesize() puts between them as silence. Every other tag stays silent.
"""

from __future__ import annotations

import html
import re
import unicodedata

# A tag: <name ...>, </name>, <name/>; not "a < b > c" (a name must follow the bracket).
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_PAUSE_TAG = re.compile(r"<(?:break|p|/p|s|/s|br)\b[^<>]*>", re.IGNORECASE)
_BREAK = re.compile(r"<break\b([^<>]*)/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*|</?p\b[^<>]*>", re.IGNORECASE)
_TIME = re.compile(r"""time\s*=\s*["']?\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*["']?""", re.IGNORECASE)
_STRENGTH = re.compile(r"""strength\s*=\s*["']?([a-z-]+)""", re.IGNORECASE)
# SSML's break strengths, in seconds (what the common engines use); a bare <break/> is "medium".
_STRENGTHS = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.4, "strong": 0.75, "x-strong": 1.2}
PARAGRAPH_PAUSE_S = 0.6
MAX_PAUSE_S = 10.0  # SSML caps a break at 10 s too
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


def _break_seconds(attributes: str) -> float:
    time = _TIME.search(attributes)
    if time:
        value = float(time.group(1)) / (1000.0 if (time.group(2) or "s").lower() == "ms" else 1.0)
        return min(MAX_PAUSE_S, value)
    strength = _STRENGTH.search(attributes)
    return _STRENGTHS.get(strength.group(1).lower(), 0.4) if strength else _STRENGTHS["medium"]


def split_pauses(text: str) -> list[tuple[str, float]]:
    """The script as (part, pause after it in seconds): breaks and paragraphs become pauses.

    Parts are raw (clean_script() still runs on each); a stretch with no words adds its
    pause to the part before, so "a <break/> <break/> b" pauses twice as long (a pause
    before the first word is dropped).
    """
    marks: list[tuple[int, int, float]] = []
    for match in _BREAK.finditer(text):
        marks.append((match.start(), match.end(), _break_seconds(match.group(1))))
    for match in _PARAGRAPH.finditer(text):
        if not any(a <= match.start() < b for a, b, _ in marks):
            marks.append((match.start(), match.end(), PARAGRAPH_PAUSE_S))
    marks.sort()
    parts: list[tuple[str, float]] = []
    position = 0
    for start, end, pause in marks:
        if start < position:
            continue
        chunk = text[position:start]
        if any(ch.isalnum() for ch in clean_script(chunk)):
            parts.append((chunk, pause))
        elif parts:
            parts[-1] = (parts[-1][0], parts[-1][1] + pause)
        position = end
    tail = text[position:]
    if any(ch.isalnum() for ch in clean_script(tail)) or not parts:
        parts.append((tail, 0.0))
    return parts
