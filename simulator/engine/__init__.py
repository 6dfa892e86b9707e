"""Compiled kernels (``kernel``, ``bands``), their array layout and the numpy reference."""
