"""Media I/O: video decode (PyAV), audio read/write/resample, BWF, mux."""
