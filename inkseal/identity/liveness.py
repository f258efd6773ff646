"""What a face video shows, found offline with OpenCV's Haar cascades. Pure (no Django).

`probe_video` decodes the file and measures it; `analyse_video` also finds faces (and, for the
blink check, eyes) in its frames; `check_liveness` applies the rules and raises `LivenessRefused`
with a stable code. This is what the sandbox face provider can honestly do: it does not compare
the face with the ID photo (a real provider does) and it cannot tell a replayed video from a live
one; it does tell an empty, too short, crowded or motionless recording.

Duration comes from the frames' timestamps, not the container header: browsers' MediaRecorder
writes WebM files without a duration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inkseal.core.errors import DomainError, gettext_lazy

if TYPE_CHECKING:  # OpenCV and NumPy load in ~1 s: imported where a video is decoded, not at Django setup
    import numpy as np

DURATION_MIN = 2.0
DURATION_MAX = 3.0
DURATION_TOLERANCE = 0.4  # recorders stop a little early or late
MAX_FRAMES = 400  # well past any 3-second recording: the rest is not decoded
ANALYSIS_WIDTH = 320
MIN_SINGLE_FACE_SHARE = 0.6  # "one face in most frames"
MAX_MULTI_FACE_SHARE = 0.2
TRACK_SECONDS = 0.4  # a blink can hide the face from the detector; keep the last box this long
SILENT_RATE = 8.0  # frames analysed per second: enough to see one face throughout
BLINK_RATE = 15.0  # a blink lasts 100–400 ms: at 15 a second at least one frame has the eyes shut

FACE_CASCADE = "haarcascade_frontalface_default.xml"
EYE_CASCADE = "haarcascade_eye.xml"


class LivenessRefused(DomainError):
    """The video does not pass; `code` is stable (kept as the attempt's reason), the details
    fill the user's message."""

    code = "liveness_failed"
    default_message = gettext_lazy("人脸视频未通过检测，请重新录制。")


class VideoUnreadable(LivenessRefused):
    code = "unreadable"
    default_message = gettext_lazy("无法解析上传的视频，请重新录制。")


class VideoTooShort(LivenessRefused):
    code = "too_short"
    default_message = gettext_lazy("视频时长%(seconds)s秒，太短：请录制2~3秒人像视频。")


class VideoTooLong(LivenessRefused):
    code = "too_long"
    default_message = gettext_lazy("视频时长%(seconds)s秒，太长：请录制2~3秒人像视频。")


class NoFace(LivenessRefused):
    code = "no_face"
    default_message = gettext_lazy("未能在视频中持续检测到人脸：请正对摄像头，保持光线充足、面部无遮挡。")


class MultipleFaces(LivenessRefused):
    code = "multiple_faces"
    default_message = gettext_lazy("视频中检测到多张人脸：请确保画面中只有本人。")


class NoBlink(LivenessRefused):
    code = "no_blink"
    default_message = gettext_lazy("未检测到眨眼动作：请在录制时正对摄像头眨眼。")


@dataclass(frozen=True)
class Frame:
    time: float  # seconds from the first frame
    image: np.ndarray | None  # None: skipped (only its timestamp was read)


@dataclass(frozen=True)
class VideoProbe:
    frames: int
    duration: float
    width: int
    height: int


@dataclass(frozen=True)
class VideoFindings:
    frames: int  # analysed (see SILENT_RATE, BLINK_RATE)
    duration: float
    single_face_frames: int
    no_face_frames: int
    multiple_face_frames: int
    eyes_open_frames: int
    eyes_closed_frames: int
    blinked: bool

    @property
    def single_face_share(self) -> float:
        return self.single_face_frames / self.frames if self.frames else 0.0

    @property
    def multiple_face_share(self) -> float:
        return self.multiple_face_frames / self.frames if self.frames else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


_cascades: dict[str, Any] = {}
_cascade_lock = threading.Lock()


def _cascade(name: str) -> Any:
    import cv2

    with _cascade_lock:
        if name not in _cascades:
            if not hasattr(cv2, "CascadeClassifier"):
                raise RuntimeError("OpenCV 5 dropped the Haar cascades: install opencv-python-headless < 5")
            classifier = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))  # type: ignore[attr-defined]
            if classifier.empty():
                raise RuntimeError(f"OpenCV Haar cascade {name} not found (opencv-python-headless < 5 ships them)")
            _cascades[name] = classifier
        return _cascades[name]


def _frames(path: Path, rate: float = 0.0) -> Iterator[Frame]:
    """Every frame's timestamp; the picture only for frames at most `rate` a second (0: all)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            return
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        first: float | None = None
        next_decode = 0.0
        for index in range(MAX_FRAMES):
            if not capture.grab():
                return
            stamp = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if stamp <= 0 and index > 0:
                stamp = index / fps  # containers without timestamps
            first = stamp if first is None else first
            image = None
            if stamp - first >= next_decode:
                ok, image = capture.retrieve()
                if not ok:
                    return
                next_decode = stamp - first + (1.0 / rate if rate else 0.0) - 1e-3
            yield Frame(stamp - first, image)
    finally:
        capture.release()


def _duration(times: list[float]) -> float:
    """First to last timestamp plus one typical frame interval."""
    import numpy as np

    if len(times) < 2:
        return 0.0
    steps = np.diff(np.asarray(times))
    steps = steps[steps > 0]
    interval = float(np.median(steps)) if steps.size else 0.0
    return times[-1] - times[0] + interval


def probe_video(path: Path) -> VideoProbe:
    """Read every frame's timestamp and decode a few; LivenessRefused('unreadable') if there is no video."""
    times: list[float] = []
    size = (0, 0)
    for frame in _frames(path, rate=1.0):
        times.append(frame.time)
        if frame.image is not None:
            size = (frame.image.shape[1], frame.image.shape[0])
    if len(times) < 2 or size == (0, 0):
        raise VideoUnreadable()
    return VideoProbe(len(times), _duration(times), size[0], size[1])


def _grey(image: np.ndarray) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    if width > ANALYSIS_WIDTH:
        image = cv2.resize(
            image, (ANALYSIS_WIDTH, round(height * ANALYSIS_WIDTH / width)), interpolation=cv2.INTER_AREA
        )
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.equalizeHist(grey)


def _faces(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    # A selfie face fills a good part of the frame: skipping tiny scales keeps this ~7 ms a frame.
    side = max(40, min(grey.shape[:2]) // 5)
    found = _cascade(FACE_CASCADE).detectMultiScale(grey, scaleFactor=1.15, minNeighbors=5, minSize=(side, side))
    return [tuple(int(v) for v in box) for box in found]  # type: ignore[misc]


def _eyes_open(grey: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Open eyes show as the cascade's dark-iris, bright-sclera pattern; closed lids do not."""
    x, y, w, h = box
    band = grey[y + h // 6 : y + h * 3 // 5, x : x + w]
    if band.size == 0:
        return False
    side = max(12, w // 8)
    eyes = _cascade(EYE_CASCADE).detectMultiScale(band, scaleFactor=1.1, minNeighbors=4, minSize=(side, side))
    return len(eyes) > 0


def _blinked(states: list[bool]) -> bool:
    """Eyes open, then closed, then open again."""
    seen_open = seen_closed = False
    for is_open in states:
        if is_open and seen_closed:
            return True
        if is_open:
            seen_open = True
        elif seen_open:
            seen_closed = True
    return False


def analyse_video(path: Path, *, eyes: bool) -> VideoFindings:
    """Faces in the frames and, when `eyes`, whether they are open. Raises LivenessRefused('unreadable')."""
    times: list[float] = []
    counts = {"single": 0, "none": 0, "many": 0}
    eye_states: list[bool] = []
    last_box: tuple[int, int, int, int] | None = None
    last_seen = -1.0
    for frame in _frames(path, BLINK_RATE if eyes else SILENT_RATE):
        times.append(frame.time)
        if frame.image is None:
            continue
        grey = _grey(frame.image)
        faces = _faces(grey)
        counts["single" if len(faces) == 1 else "none" if not faces else "many"] += 1
        if len(faces) == 1:
            last_box, last_seen = faces[0], frame.time
        if eyes and last_box is not None and frame.time - last_seen <= TRACK_SECONDS:
            eye_states.append(_eyes_open(grey, last_box))
    if len(times) < 2:
        raise VideoUnreadable()
    return VideoFindings(
        frames=sum(counts.values()),
        duration=_duration(times),
        single_face_frames=counts["single"],
        no_face_frames=counts["none"],
        multiple_face_frames=counts["many"],
        eyes_open_frames=sum(eye_states),
        eyes_closed_frames=len(eye_states) - sum(eye_states),
        blinked=_blinked(eye_states),
    )


def check_liveness(findings: VideoFindings, *, blink: bool) -> None:
    """Raise LivenessRefused unless the recording is 2–3 s with one face (and a blink when asked)."""
    if findings.duration < DURATION_MIN - DURATION_TOLERANCE:
        raise VideoTooShort(seconds=round(findings.duration, 1))
    if findings.duration > DURATION_MAX + DURATION_TOLERANCE:
        raise VideoTooLong(seconds=round(findings.duration, 1))
    if findings.multiple_face_share > MAX_MULTI_FACE_SHARE:
        raise MultipleFaces()
    if findings.single_face_share < MIN_SINGLE_FACE_SHARE:
        raise NoFace()
    if blink and not findings.blinked:
        raise NoBlink()
