"""Metrics of the papers: E-L1, spatial alignment, interaural cues, step timing."""
