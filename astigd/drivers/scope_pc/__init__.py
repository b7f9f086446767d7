"""The scope-PC server: temscript's v1 protocol plus /v1/astigd/ on a Thermo microscope.

``astigd scope-pc serve`` runs on the Windows scope PC, next to TEM Scripting. It wraps
temscript's local ``Microscope`` (COM), or ``NullMicroscope`` for rehearsals and tests, and
serves the protocol layer shared with the simulated scope (``astigd.drivers.temscript_server``):

- ``calls``: one thread owns the microscope and runs every call (COM objects live in the
  apartment of the thread that created them).
- ``temscript_calls``: temscript's own endpoints, forwarded as temscript's server does.
- ``lens_access``, ``extensions``: the /v1/astigd/ values mapped onto TEM Scripting.
- ``mag_table``: the magnification table, with pixel sizes, from a YAML file on the scope PC.
- ``app``: the ASGI app.
"""
