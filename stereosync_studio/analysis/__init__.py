"""Analysis: detection, tracking, distance, envelopes from audio and video."""
