"""Write H.264 + AAC MP4 with PyAV, atomically.

The file is written under a hidden temporary name in the destination folder and renamed
only when complete, so a reader (or a crash) never sees half a video; abort() removes it.
Audio is muxed as the video advances, interleaved, and padded with silence to exactly the
video's length, so both tracks end together.

Encoding runs on a worker thread (PyAV releases the GIL inside libx264), so the next frame
is drawn while the previous one is compressed; a short queue keeps memory flat.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import uuid
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.image_io import Image

AUDIO_RATE = 44100
_AAC_FRAME = 1024
_X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
_QUEUE_FRAMES = 3
_STOP = None


class Mp4Writer:
    """Usage: with Mp4Writer(...) as w: w.write(frame)...; w.commit()."""

    def __init__(
        self, out_path: Path, width: int, height: int, fps: int, audio: npt.NDArray[np.float32], audio_rate: int,
    ) -> None:
        self.out_path = Path(out_path)
        self.fps = fps
        self.audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.audio_rate = audio_rate
        self.frames = 0
        self._audio_sent = 0
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_path = self.out_path.with_name(f".{self.out_path.stem}.{uuid.uuid4().hex[:8]}.part.mp4")
        self._container: Any = None
        self._open(width, height)
        self._queue: queue.Queue[npt.NDArray[np.uint8] | None] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._worker: threading.Thread | None = threading.Thread(
            target=self._encode_loop, name="mp4-encode", daemon=True,
        )
        self._worker.start()

    def _open(self, width: int, height: int) -> None:
        import av

        container = av.open(str(self.tmp_path), mode="w", format="mp4", options={"movflags": "+faststart"})
        self._container = container
        video = container.add_stream("libx264", rate=self.fps, options=dict(_X264_OPTIONS))
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, self.fps)
        video.codec_context.gop_size = self.fps * 2
        audio = container.add_stream("aac", rate=self.audio_rate)
        audio.layout = "mono"
        audio.bit_rate = 96_000
        audio.time_base = Fraction(1, self.audio_rate)
        self._video, self._audio_stream = video, audio

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        if self._container is not None:
            self.abort()

    def write(self, frame: Image) -> None:
        """Queue one BGR frame (converted here, so the caller may reuse its array) for encoding."""
        self._raise_worker_error()
        # OpenCV's BT.601 limited-range conversion matches swscale's default and is faster.
        yuv = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
        while True:
            try:
                self._queue.put(yuv, timeout=0.5)
                break
            except queue.Full:
                self._raise_worker_error()
        self.frames += 1

    def _encode_loop(self) -> None:
        """Worker: encode each queued frame, then the audio up to that frame's end."""
        import av

        encoded = 0
        try:
            while True:
                yuv = self._queue.get()
                if yuv is _STOP:
                    return
                if self._error is not None:
                    continue  # drain after a failure
                video_frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                video_frame.pts = encoded
                for packet in self._video.encode(video_frame):
                    self._container.mux(packet)
                encoded += 1
                self._send_audio(round(encoded * self.audio_rate / self.fps))
        except BaseException as exc:  # handed to the caller's next write or commit
            self._error = exc
            while self._queue.get() is not _STOP:
                pass

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"Encoding the video failed: {self._error}") from self._error

    def _stop_worker(self) -> None:
        if self._worker is None:
            return
        self._queue.put(_STOP)
        self._worker.join()
        self._worker = None

    def _send_audio(self, until: int) -> None:
        import av

        while self._audio_sent + _AAC_FRAME <= until:
            chunk = self._audio_chunk(self._audio_sent, _AAC_FRAME)
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = self.audio_rate
            frame.pts = self._audio_sent
            for packet in self._audio_stream.encode(frame):
                self._container.mux(packet)
            self._audio_sent += _AAC_FRAME

    def _audio_chunk(self, start: int, count: int) -> npt.NDArray[np.float32]:
        chunk = self.audio[start:start + count]
        if chunk.size < count:
            chunk = np.concatenate([chunk, np.zeros(count - chunk.size, dtype=np.float32)])
        return np.ascontiguousarray(chunk, dtype=np.float32)

    def commit(self) -> Path:
        """Flush both encoders, close the file and move it to its final name."""
        import av

        self._stop_worker()
        self._raise_worker_error()
        total = round(self.frames * self.audio_rate / self.fps)
        self._send_audio(total - total % _AAC_FRAME)
        rest = total - self._audio_sent
        if rest > 0:
            frame = av.AudioFrame.from_ndarray(self._audio_chunk(self._audio_sent, rest)[None, :],
                                               format="flt", layout="mono")
            frame.sample_rate = self.audio_rate
            frame.pts = self._audio_sent
            for packet in self._audio_stream.encode(frame):
                self._container.mux(packet)
            self._audio_sent += rest
        for stream in (self._video, self._audio_stream):
            for packet in stream.encode(None):
                self._container.mux(packet)
        self._container.close()
        self._container = None
        os.replace(self.tmp_path, self.out_path)
        return self.out_path

    def abort(self) -> None:
        """Close without finishing and delete the temporary file."""
        self._stop_worker()
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
            self._container = None
        self.tmp_path.unlink(missing_ok=True)
