"""behave's hook module: it must sit beside steps/, so it only delegates to the support library."""
from focus_support.behave_hooks import (  # noqa: F401  (behave looks these names up)
    after_all,
    after_feature,
    after_scenario,
    after_step,
    before_all,
    before_feature,
    before_scenario,
    before_step,
)
