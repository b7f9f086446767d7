"""The job runner: persisted jobs, one control job per scope (lock + DB lease), event streams."""
