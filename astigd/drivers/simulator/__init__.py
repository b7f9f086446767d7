"""The simulated microscope: lens physics, stigmators and a camera that renders Thon rings.

A product part, not a test helper (DESIGN.md §3). Layers, bottom up:

- ``config``: SimulatorConfig (seed, date, optics, camera, timing, lens statistics, faults).
- ``lens``, ``magnifications``: the seeded scope: K and the lens's own astigmatism per date,
  the stigmator pair, and the magnification table with each entry's hidden character.
- ``optics_model``: pure physics, lens state -> true astigmatism vector and defocus.
- ``actuators``, ``clock``, ``scope_state``: what is set, hysteresis, settling, session time.
- ``camera`` (with ``frames``/``specimens``): frames rendered from the true optics.
- ``faults``, ``microscope``: fault injection and the atomic, busy-aware scope.
- ``temscript_view``, ``extensions_view``, ``routes_sim``, ``transport``, ``app``, ``server``:
  the REST server. temscript v1 and the ``/v1/astigd/...`` extensions are the shared protocol
  layer (``astigd.drivers.temscript_server``); ``/v1/astigd/sim/...`` is simulator-only truth.
- ``backend``, ``connect``: the in-process driver backend and its ``Scope``.
"""
