"""How to run each process of the sandbox stack: command, environment and readiness probe.

Each module builds a ``focus_sandbox.cluster.DeploymentSpec``; the stack daemon hands them to the
cluster in start order (see docs/ARCHITECTURE.md, "The sandbox stack").
"""
