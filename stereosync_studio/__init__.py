"""StereoSync Studio: spatially aligned stereo Foley from video, for sound designers."""

__version__ = "0.1.0"
