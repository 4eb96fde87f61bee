"""Generic walk over every declared workflow: no sequence of allowed steps reaches a state without the rules its
declared path checks.

The declared path to a state is made of the ordinary steps (from named states, not from "any state" nor out of a
final state). For each state, the rules every declared path to it checks are compared with the rules every
sequence of allowed steps checks, the escapes included (closing, re-opening, withdrawing, putting on hold …).
Steps that go back to a state the record already reached (`resumes`) add no way in: the engine refuses them
unless the record's history shows it there. A new app's workflow is found by `declared()`, without a test of
its own.
"""

from __future__ import annotations

import dataclasses

import pytest

from liman.core.workflows import ANY, Transition, Workflow, declared


def _edges(workflow: Workflow, *, declared_path_only: bool) -> list[tuple[str, str, frozenset]]:
    states = set(workflow.states.values)
    edges = []
    for step in workflow.transitions:
        if step.resumes:
            continue
        escape = ANY in step.source or bool(set(step.source) & workflow.final)
        if declared_path_only and escape:
            continue
        # The engine takes an "any state" step from every state but the final ones.
        sources = states - workflow.final if ANY in step.source else set(step.source)
        edges.extend((source, step.target, frozenset(step.guards)) for source in sources if source != step.target)
    return edges


def _required_rules(workflow: Workflow, edges) -> dict[str, frozenset]:
    """For each reachable state, the rules checked on every sequence of steps from the initial state to it."""
    required: dict[str, frozenset] = {workflow.initial: frozenset()}
    changed = True
    while changed:
        changed = False
        for source, target, guards in edges:
            if source not in required or target == workflow.initial:
                continue
            arriving = required[source] | guards
            merged = arriving if target not in required else required[target] & arriving
            if merged != required.get(target):
                required[target] = merged
                changed = True
    return required


def skipped_rules(workflow: Workflow) -> list[str]:
    """Each state some sequence of allowed steps reaches without a rule its declared path checks."""
    on_path = _required_rules(workflow, _edges(workflow, declared_path_only=True))
    anyway = _required_rules(workflow, _edges(workflow, declared_path_only=False))
    problems = []
    for state, rules in on_path.items():
        skipped = rules - anyway.get(state, frozenset())
        if skipped:
            names = ", ".join(sorted(getattr(rule, "__qualname__", repr(rule)) for rule in skipped))
            problems.append(f"{workflow.name}: “{state}” is reached without {names}")
    return problems


def test_every_app_declares_its_workflows_where_the_walk_finds_them():
    names = {workflow.name for workflow in declared()}
    assert {"protection", "counter_trafficking", "avrr", "resettlement", "reunification"} <= names


@pytest.mark.parametrize("workflow", declared(), ids=lambda workflow: workflow.name)
def test_no_sequence_of_steps_skips_a_rule_of_the_declared_path(workflow):
    assert skipped_rules(workflow) == []


def test_the_walk_finds_a_reopening_that_skips_the_process():
    """The counter-trafficking re-opening as it was: closed right after the report, re-opened in the support
    programme, past screening, referral, identification and the approved plan."""
    from liman.cases.choices import TraffickingState as T
    from liman.cases.workflows import CASEWORK, TRAFFICKING

    kept = [step for step in TRAFFICKING.transitions if not step.resumes]
    old = dataclasses.replace(
        TRAFFICKING, transitions=[*kept, Transition((T.CLOSED,), T.SUPPORT_PROGRAMME, CASEWORK, needs_reason=True)]
    )
    problems = skipped_rules(old)
    assert any("“support_programme” is reached without" in problem for problem in problems)
    assert any("plan_is_approved" in problem for problem in problems)


def test_the_walk_finds_an_escape_from_any_state_into_the_middle_of_the_path():
    from liman.movements.choices import CaseState
    from liman.movements.workflows import CASEWORK, RESETTLEMENT

    shortcut = Transition((ANY,), CaseState.BOOKED, CASEWORK)
    problems = skipped_rules(dataclasses.replace(RESETTLEMENT, transitions=[*RESETTLEMENT.transitions, shortcut]))
    assert any("“booked” is reached without" in problem for problem in problems)
