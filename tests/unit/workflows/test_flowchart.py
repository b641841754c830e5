"""`relaybot workflows graph`: Mermaid text and the SVG / HTML picture."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.app.cli import build_parser
from tests.conftest import make_settings
from workflows.flowchart import chart, mermaid
from workflows.flowchart_svg import WIDTH, layout, svg
from workflows.loader import load_text

SVG = "{http://www.w3.org/2000/svg}"
LOOP = """
name: loop
trigger: {event: message.received}
steps:
  - {id: ask, type: ask_question, question: "Order or billing?", save_to: vars.topic}
  - id: route
    type: branch
    cases:
      - when: {all: [{field: vars.topic, op: eq, value: order}, {field: vars.vip, op: exists}]}
        goto: order
      - when: {any: [{field: vars.topic, op: in, value: [bill, billing]}]}
        goto: billing
  - {id: again, type: jump_to, target: ask, max_jumps: 2}
  - {id: order, type: send_message, text: "Order help"}
  - {id: billing, type: send_message, text: "Billing help"}
"""


def test_branch_edges_carry_their_conditions_and_a_jump_only_goes_to_its_target() -> None:
    text = mermaid(load_text(LOOP))
    assert "s1 -->|vars.topic eq 'order' and vars.vip exists| s3" in text
    assert "s1 -->|vars.topic in ['bill', 'billing']| s4" in text
    assert "s1 -.->|no case| s2" in text
    assert "s2 -->|jump (max 2)| s0" in text
    assert [line for line in text.splitlines() if line.strip().startswith("s2 ")] == [
        "    s2 -->|jump (max 2)| s0"
    ]


def test_svg_draws_every_node_and_edge_without_overlap() -> None:
    drawn = chart(load_text(LOOP))
    root = ET.fromstring(svg(drawn, "loop"))
    assert root.tag == f"{SVG}svg"
    nodes = root.findall(f"{SVG}g[@class='node']")
    assert [n.get("id") for n in nodes] == ["trigger", "s0", "s1", "s2", "s3", "s4", "done"]
    assert [n.findtext(f"{SVG}title") for n in nodes][1] == "ask: ask (text): Order or billing?"
    edges = root.findall(f"{SVG}g[@class='edge']")
    assert [(e.get("data-source"), e.get("data-target")) for e in edges] == [
        (e.source, e.target) for e in drawn.edges
    ]
    labels = [e.findtext(f"{SVG}text") for e in edges]
    assert labels == [
        None,
        None,
        "vars.topic eq 'order' and vars.vip exists",
        "vars.topic in ['bill', 'billing']",
        "no case",
        "jump (max 2)",
        None,
        None,
    ]
    jump = next(e for e in edges if e.get("data-source") == "s2")
    assert " C" in jump.find(f"{SVG}path").get("d", "")  # a loop back bends round the side
    boxes = list(layout(drawn).values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert abs(a.x - b.x) >= WIDTH or a.y != b.y, "two nodes drawn on top of each other"


def test_graph_command_writes_an_svg_of_a_file_that_starts_another_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "parent.yaml"
    flow.write_text(
        textwrap.dedent("""
        name: parent
        trigger: {event: conversation.created}
        steps:
          - {type: trigger_workflow, workflow: child}
        """)
    )
    out = tmp_path / "parent.svg"
    args = build_parser().parse_args(
        ["workflows", "graph", str(flow), "--format", "svg", "-o", str(out)]
    )
    assert args.command(args, make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db")) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    root = ET.fromstring(out.read_text())
    assert len(root.findall(f"{SVG}g[@class='node']")) == 3
    args = build_parser().parse_args(["workflows", "graph", str(flow), "--format", "html"])
    assert args.command(args, make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db")) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and "<svg" in page
