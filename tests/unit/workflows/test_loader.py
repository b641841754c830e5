from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.flowchart import mermaid
from workflows.loader import check_workflow_set, json_schema, load_dir, load_file, load_text
from workflows.problems import WorkflowLoadError

BROKEN = """\
name: broken
trigger: {event: lead.stage_chnged, to_stage: qualified}
conditions:
  all:
    - {field: customer.tier, op: eq, value: gold}
    - any:
        - {field: lead.expected_amount, op: bigger, value: 5000}
steps:
  - {id: ask, type: ask_question, question: Email, answer_type: email, timeout: 5 years,
     validation: {pattern: "[a"}, exits: {answered: nowhere, finished: done}}
  - {id: ask, type: send_message, text: dup}
  - {type: wait, duration: soon}
  - {type: jump_to, target: missing}
  - {id: hours, type: date_time, timezone: Mars/Olympus}
  - {type: branch, cases: [{when: {field: vars.x, op: exists}, goto: ghost}], else: hours}
  - {type: teleport}
  - {id: done, type: send_message, text: "Hi {{ contact.name | shout }}"}
"""


def problems_of(text: str, source: str = "broken.yaml") -> list[tuple[str, str, str]]:
    with pytest.raises(WorkflowLoadError) as caught:
        load_text(text, source=source)
    assert all(p.file == source for p in caught.value.problems)
    return [(p.where, p.field, p.reason) for p in caught.value.problems]


def test_a_malformed_file_yields_all_its_errors_with_step_and_field() -> None:
    found = problems_of(BROKEN)
    located = {(where, field) for where, field, _ in found}
    assert located >= {
        ("trigger", "event"),
        ("conditions", "all[0].field"),
        ("conditions", "all[1].any[0].op"),
        ("step ask", "timeout"),
        ("step ask", "validation.pattern"),
        ("step ask", "id"),
        ("step step-3", "duration"),
        ("step hours", "timezone"),
        ("step step-7", "type"),
    }
    reasons = {(where, field): reason for where, field, reason in found}
    assert "unknown event 'lead.stage_chnged'" in reasons[("trigger", "event")]
    assert "unknown field 'customer.tier'" in reasons[("conditions", "all[0].field")]
    assert "'5 years' is not a duration" in reasons[("step ask", "timeout")]
    assert "unknown time zone" in reasons[("step hours", "timezone")]
    assert "unknown step type 'teleport'" in reasons[("step step-7", "type")]
    assert "duplicate id" in reasons[("step ask", "id")]


def test_graph_errors_are_reported_even_when_other_steps_are_invalid() -> None:
    found = problems_of(BROKEN)
    assert ("step step-4", "target", "unknown step id 'missing'") in found
    assert ("step ask", "exits.answered", "unknown step id 'nowhere'") in found
    assert any(f == "exits.finished" and "no outcome" in r for _, f, r in found)
    assert ("step step-6", "cases[0].goto", "unknown step id 'ghost'") in found
    assert ("step done", "text", "{{ contact.name | shout }}: unknown filter 'shout'") in found


def test_exits_must_name_known_outcomes_and_steps() -> None:
    found = problems_of(
        """
name: x
trigger: {event: conversation.created}
steps:
  - {id: a, type: ask_question, question: Q, exits: {answered: nowhere, finished: a}}
  - {type: add_tag, tag: t, exits: {success: a}}
"""
    )
    assert ("step a", "exits.answered", "unknown step id 'nowhere'") in found
    assert any(f == "exits.finished" and "no outcome 'finished'" in r for _, f, r in found)
    assert any(w == "step step-2" and "(its outcomes: none)" in r for w, _, r in found)


def test_error_text_names_file_step_field_and_reason() -> None:
    with pytest.raises(WorkflowLoadError) as caught:
        load_text(BROKEN, source="flows/broken.yaml")
    text = str(caught.value)
    assert text.startswith(f"{len(caught.value.problems)} problems in workflow definitions:")
    assert "flows/broken.yaml: step step-3: duration: 'soon' is not a duration" in text


def test_trigger_filters_must_fit_the_event_and_regexes_compile() -> None:
    found = problems_of(
        "name: x\ntrigger: {event: conversation.created, to_stage: won, text_matches: '(oops'}\n"
        "steps: [{type: close_conversation}]\n"
    )
    reasons = " ".join(r for _, _, r in found)
    assert "bad regular expression" in reasons
    assert found[0][0] == "trigger"


def test_yaml_syntax_errors_and_non_mappings() -> None:
    assert problems_of("name: [unclosed")[0][:2] == ("file", "")
    assert "mapping" in problems_of("- just a list")[0][2]


def test_yes_and_no_stay_strings() -> None:
    wf = load_text(
        "name: x\ntrigger: {event: conversation.created}\nsteps:\n"
        "  - {type: ask_question, question: Q, answer_type: choice, choices: [Yes, No], "
        "exits: {answered: no}}\n  - {id: no, type: close_conversation}\n"
    )
    assert wf.steps[0].exits == {"answered": "no"}


def write(directory: Path, name: str, body: str) -> None:
    (directory / name).write_text(body, encoding="utf-8")


def starter(name: str, target: str) -> str:
    return (
        f"name: {name}\ntrigger: {{event: conversation.created}}\n"
        f"steps:\n  - {{id: go, type: trigger_workflow, workflow: {target}}}\n"
    )


def test_trigger_workflow_cycles_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", starter("a", "b"))
    write(tmp_path, "b.yaml", starter("b", "c"))
    write(tmp_path, "c.yml", starter("c", "a"))
    with pytest.raises(WorkflowLoadError) as caught:
        load_dir(tmp_path)
    [problem] = caught.value.problems
    assert problem.file.endswith("a.yaml")
    assert problem.where == "step go"
    assert problem.reason == "trigger_workflow cycle: a -> b -> c -> a"


def test_self_trigger_and_unknown_targets_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", starter("a", "a"))
    write(tmp_path, "b.yaml", starter("b", "nope"))
    with pytest.raises(WorkflowLoadError) as caught:
        load_dir(tmp_path)
    reasons = sorted(p.reason for p in caught.value.problems)
    assert reasons == ["trigger_workflow cycle: a -> a", "unknown workflow 'nope'"]


def test_check_workflow_set_accepts_a_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", starter("a", "b"))
    write(
        tmp_path,
        "b.yaml",
        "name: b\ntrigger: {event: tag.added}\nsteps: [{type: close_conversation}]\n",
    )
    workflows = load_dir(tmp_path)
    check_workflow_set(workflows)
    assert [w.name for w in workflows] == ["a", "b"]
    with pytest.raises(WorkflowLoadError, match="duplicate workflow name"):
        check_workflow_set([*workflows, load_file(tmp_path / "b.yaml")])


def test_problems_in_several_files_are_reported_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        "one.yaml",
        "name: one\ntrigger: {event: nope}\nsteps: [{type: close_conversation}]\n",
    )
    write(tmp_path, "two.yaml", "name: two\ntrigger: {event: tag.added}\nsteps: []\n")
    with pytest.raises(WorkflowLoadError) as caught:
        load_dir(tmp_path)
    assert {Path(p.file).name for p in caught.value.problems} == {"one.yaml", "two.yaml"}


def test_json_schema_lists_every_step_type() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    for name in ("ask_question", "date_time", "send_webhook", "trigger_workflow", "remove_tag"):
        assert f'"{name}"' in text
    assert schema["title"] == "relaybot workflow"
    assert "steps" in schema["required"]


def test_mermaid_draws_exits_and_default_flow() -> None:
    wf = load_text(
        """
name: g
trigger: {event: conversation.created}
steps:
  - {id: hours, type: date_time, exits: {closed: away}}
  - {id: hi, type: send_message, text: "Hi \\"there\\""}
  - {id: away, type: send_message, text: away}
"""
    )
    chart = mermaid(wf)
    assert chart.startswith("flowchart TD\n")
    assert 'trigger(["conversation.created"])' in chart
    assert "s0 -->|closed| s2" in chart
    assert "s0 -.-> s1" in chart
    assert "s2 -.-> done" in chart
    assert '"' not in chart.split("s1[")[1].split("]")[0].strip('"')
