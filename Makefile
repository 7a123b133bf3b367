# The two commands of the quick start. Each bootstraps what it needs.
.PHONY: generate test bench bootstrap prereqs

SPEC ?= specs/001-task-reminders
OUT ?= build/task-reminders

bootstrap:
	@scripts/bootstrap dev

prereqs: bootstrap
	@scripts/prereqs

# Main job: offline generation of the example spec into a validated service, then its own tests and the gate.
generate:
	@scripts/bootstrap service
	.venv/bin/daprdev generate $(SPEC) --out $(OUT)
	cd $(OUT) && ../../.venv/bin/python -m pytest -q
	.venv/bin/daprdev check $(OUT)

# The whole test suite, with the real daprd, Scheduler, Redis and Node tooling it needs.
test: prereqs
	.venv/bin/python -m pytest

bench: prereqs
	.venv/bin/python -m bench
