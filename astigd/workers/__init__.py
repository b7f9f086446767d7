"""Pure numerics: CTF model, power spectra and fits. No I/O, no scope, no database."""
