"""Automation lanes under the picture: envelope, pan, distance and heard-vs-box, on one time axis."""
