"""Signal layer: the measurements and laws that engines, metrics and analysis share.

Why a layer: an engine that follows an envelope and the metric that scores it must measure
the RMS envelope the same way, and the renderer's pan law and the metric that inverts it
must be the same law. Written once here, below engines/, metrics/ and analysis/, so those
never import each other. This package depends only on numpy/scipy/librosa/soxr and `core`.

Modules: `rms` (paper-grid RMS envelope, its fast block-energy variant, E-L1 distance), `spectral`
(short-time spectra: stationary floor, onset rise per band, voicing),
`onsets` (step onset detection), `panning` (pan law, ITD <-> azimuth), `interaural`
(ILD / ITD / IACC estimates), `control_rate` (control-grid curves to audio rate),
`filters` (one-pole filters and fractional delays), `peaks` (waveform peaks for drawing),
`true_peak` (4x-oversampled true peak, chunked; the limiter's per-sample trace).
Submodules are imported on demand (nothing heavy is imported here).
"""
