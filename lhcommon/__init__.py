"""Robot-free helpers both the toolkit and the reference lakehouse use.

* :mod:`lhcommon.polling`: the one polling helper (``wait_until``) and duration parsing.
* :mod:`lhcommon.locks`: the one inter-process exclusive lock (``flock``).
* :mod:`lhcommon.masking`: secret registration and masking of text.

Imports neither Robot Framework nor the reference lakehouse.
"""
