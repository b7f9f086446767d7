"""temscript's v1 REST protocol plus astigd's /v1/astigd/ extensions, on any scope backend.

Both servers use it: the simulated scope (``astigd simulator serve``) and the scope-PC server
(``astigd scope-pc serve``, around temscript's ``Microscope`` or ``NullMicroscope``). A server
supplies a ``TemscriptBackend`` and an ``ExtensionBackend`` (``backends.py``); the routers
(``routes_temscript.py``, ``routes_astigd.py``) and the wire conventions (``wire.py``) are shared.
"""
