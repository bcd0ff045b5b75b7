"""Learned models that run on arrays: the video-to-envelope mapper (torch).

Why a package of its own: torch lives only here and in `engines/diffusion`; analysis hands
these models plain arrays (features, targets) and jobs wire them in, so nothing below jobs
has to load a checkpoint. Depends on core and dsp only; never on analysis, jobs or the GUI.
Importing the package or `mapper` does not import torch (it is imported when a model runs).
"""
