"""Microscope drivers: one guarded async scope over thin per-vendor backends."""
