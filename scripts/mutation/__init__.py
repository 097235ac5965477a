"""Mutation score of the suite over the sandbox's rule modules (issue 12), with cosmic-ray.

The defect switches prove the suite catches the ways to be wrong we listed; mutants measure the ways
nobody listed. cosmic-ray (pinned in requirements.txt) enumerates the mutants of the rule modules
and applies each to a private copy of the tree; the test command is a short run of the suite's
features of the mutated module's area against a sandbox whose Focus Server was restarted with the
mutated file. A mutant is *killed* only when that run's verdict flags it.

``scope``     which modules, functions, operators and features; what is switch-only or outage-only code
``session``   the private tree copy and the cosmic-ray session (init, filters, pending work)
``probe``     the test command of one mutant (restart, run, judge)
``report``    the score and reports/mutation.md
``__main__``  ``python -m scripts.mutation`` (what ``make mutation`` runs)
"""
