"""Aduan shared library: one config loader, one messaging helper, one error format, one logger."""
