"""Import stable-audio-tools quietly: its transformer module prints to stdout when flash-attn is
absent (the usual case off CUDA), which would pollute the CLI's output. Import this first."""

from __future__ import annotations

import contextlib
import io
import warnings

with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import stable_audio_tools.models.transformer  # noqa: F401

# Upstream builds oobleck with the deprecated weight_norm and HTSAT calls meshgrid without
# `indexing`; both warn on every model construction and are not ours to fix.
warnings.filterwarnings("ignore", message=r".*weight_norm.*is deprecated", category=FutureWarning)
warnings.filterwarnings("ignore", message=r"torch\.meshgrid: in an upcoming release", category=UserWarning)
