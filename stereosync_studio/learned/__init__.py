"""The learned models (torch): the video-to-envelope mapper."""
