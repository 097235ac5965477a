# The two commands a new user needs:  make acceptance  (run the suite)  and  make test  (our tests).
# Knobs:  ENV=local|staging|kefar_saba  PROFILE=spec|observed  DEFECTS="a b"  TAGS="@x and not @y"
#         FEATURE=features/area/file.feature  STRICT=1  ARGS="extra behave args"
#         JOBS=N (parallel workers)  SHARD=i/n (one part of the suite)  DIRS="a b" (make merge)
ENV     ?= local
PROFILE ?= spec
DEFECTS ?=
TAGS    ?=
FEATURE ?=
STRICT  ?=
ARGS    ?=
JOBS    ?= 1
SHARD   ?=
DIRS    ?=
PY      := .venv/bin/python

RUN_ARGS := --env $(ENV) --profile $(PROFILE) $(foreach d,$(DEFECTS),--defect $(d)) \
            $(if $(TAGS),--tags "$(TAGS)") $(if $(STRICT),--strict) --jobs $(JOBS) \
            $(if $(SHARD),--shard $(SHARD)) $(FEATURE) $(ARGS)

.PHONY: setup acceptance rerun merge test verify-suite mutation fidelity rules sandbox-up sandbox-down sandbox-status defects dry-run clean

setup:
	@scripts/bootstrap.sh

acceptance: setup
	@$(PY) -m scripts.run_acceptance $(RUN_ARGS)

rerun: setup
	@$(PY) -m scripts.run_acceptance $(RUN_ARGS) --rerun reports/rerun.txt

merge: setup
	@$(PY) -m scripts.merge_runs --plan $(if $(TAGS),--plan-tags "$(TAGS)") $(if $(STRICT),--strict) $(DIRS)

test: setup
	@$(PY) -m pytest --cov --cov-report=term

verify-suite: setup
	@$(PY) -m scripts.verify_suite $(ARGS)

mutation: setup
	@$(PY) -m scripts.mutation $(ARGS)

fidelity: setup
	@$(PY) -m scripts.fidelity $(ARGS)

rules: setup
	@$(PY) -m focus_support.verdict.coverage

dry-run: setup
	@$(PY) -m scripts.dry_run -D env=$(ENV) $(FEATURE)

sandbox-up: setup
	@$(PY) -m focus_sandbox up --profile $(PROFILE) $(foreach d,$(DEFECTS),--defect $(d))

sandbox-down:
	@$(PY) -m focus_sandbox down

sandbox-status:
	@$(PY) -m focus_sandbox status

defects: setup
	@$(PY) -m focus_sandbox defects

clean:
	rm -rf reports/allure-results reports/allure-report reports/*.md reports/*.json reports/*.png reports/junit reports/workers reports/rerun.txt
