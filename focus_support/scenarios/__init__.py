"""Domain logic the step modules need and the core library does not provide, one module per area."""
