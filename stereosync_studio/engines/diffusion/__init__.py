"""StereoSync diffusion engine: Stable Audio Open + envelope ControlNet + CLAP/box/depth conditioning.

torch is imported only inside this package, and only by the modules that need it: importing
the package or `engine` (for `availability()`) does not import torch.
"""
