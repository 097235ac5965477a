"""The sandbox stack: `python -m focus_sandbox up|down|status|defects` and its Python API.

``start_stack``/``stop_stack``/``running_stack`` drive the detached supervisor daemon
(``focus_sandbox.stack.daemon``) from the CLI or a pytest fixture.
"""
from .control import StackError, daemon_log, running_stack, stack_state, start_stack, stop_stack
from .runtime import Runtime, sandbox_home

__all__ = ["Runtime", "StackError", "daemon_log", "running_stack", "sandbox_home", "stack_state",
           "start_stack", "stop_stack"]
