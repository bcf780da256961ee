"""eSpeak NG through ctypes, using the library and data that the `espeakng-loader` wheel ships.

eSpeak is small and speaks many languages, and its synthesis callback reports when each
phoneme starts: the renderer uses those times to shape the mouth. The library keeps global
state, so one lock serialises every call into it.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from talking_video_mcp.tts.types import NaturalPauses, PhonemeSpan

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_END = 5
_EVENT_MSG_TERMINATED = 6
_EVENT_PHONEME = 7
_DEFAULT_RATE_WPM = 165


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class EspeakAudio:
    samples: npt.NDArray[np.float32]
    sample_rate: int
    phonemes: list[PhonemeSpan]


def data_root() -> Path:
    """The folder holding `espeak-ng-data` inside the espeakng-loader wheel."""
    import espeakng_loader

    return Path(espeakng_loader.get_data_path()).parent


class _Engine:
    """The loaded library, initialised once per process."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib: Any = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetVoiceByName.restype = ctypes.c_int
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_SetSynthCallback.argtypes = [_Callback]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]
        self.lib.espeak_Synth.restype = ctypes.c_int
        options = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_root()).encode(), options)
        if rate <= 0:
            raise RuntimeError("eSpeak NG could not be initialised from the espeakng-loader data.")
        self.sample_rate = int(rate)
        self._chunks: list[bytes] = []
        self._events: list[tuple[int, str]] = []
        self._end_ms: int | None = None
        # Keep a reference: the library holds the pointer for the life of the process.
        self._callback = _Callback(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while True:
            event = events[i]
            if event.type == _EVENT_LIST_TERMINATED:
                break
            if event.type == _EVENT_PHONEME:
                name = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                self._events.append((int(event.audio_position), name))
            elif event.type in (_EVENT_END, _EVENT_MSG_TERMINATED):
                self._end_ms = int(event.audio_position)
            i += 1
        return 0

    def synth(self, text: str, voice: str, speed: float) -> EspeakAudio:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak has no voice {voice!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, round(_DEFAULT_RATE_WPM * speed), 0)
        self._chunks, self._events, self._end_ms = [], [], None
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data, len(data))
        status = self.lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"eSpeak failed to speak the text (error {status}).")
        self.lib.espeak_Synchronize()
        pcm = np.frombuffer(b"".join(self._chunks), dtype="<i2").astype(np.float32) / 32768.0
        duration = pcm.size / self.sample_rate
        return EspeakAudio(pcm, self.sample_rate, _spans(self._events, duration))


def _spans(events: list[tuple[int, str]], duration_s: float) -> list[PhonemeSpan]:
    """Phoneme start events → (start, end, phoneme); each ends where the next begins."""
    spans: list[PhonemeSpan] = []
    for k, (start_ms, name) in enumerate(events):
        end_s = events[k + 1][0] / 1000.0 if k + 1 < len(events) else duration_s
        start_s = start_ms / 1000.0
        if name.strip() and end_s > start_s:
            spans.append((round(start_s, 4), round(min(end_s, duration_s), 4), name.strip()))
    return spans


_ENGINE: _Engine | None = None
_LOCK = threading.Lock()


def synthesize(text: str, voice: str, speed: float = 1.0) -> EspeakAudio:
    """Speak `text` with eSpeak voice `voice` (e.g. "de", "en-us+f3"); thread-safe."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE.synth(text, voice, speed)


PAUSES = NaturalPauses(sentence=0.33, comma=0.16, word=-0.12)  # calibrated for this engine (tts/types.py)
