"""Programs the sandbox cluster runs as job pods; stdlib-light so each process stays small."""
