"""How long replaying a draft against 1,000 real runs takes.

    .venv/bin/python bench/replay.py --runs 1000

Makes ``--runs`` conversations through the real pipeline on a fresh SQLite file (each
customer says hello, answers a 1-10 survey question and is thanked or not; a tenth never
answer and time out), then replays a draft with a lower threshold against them, three
times. Prints JSON: the seconds to read and replay (``replay_last``), the seconds of the
replay alone, runs per second, and the verdict counts. Side by side in the same run: the
seconds to only read those runs with their log lines (``recent_runs``), and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app.migrate import upgrade_async  # noqa: E402
from bot.core.clock import FakeClock  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.domain.run_logs import recent_runs  # noqa: E402
from bot.domain.workflow_replay import replay_last  # noqa: E402
from bot.pipeline.services import build_services  # noqa: E402
from tests.harness import Harness  # noqa: E402
from workflows.loader import load_text  # noqa: E402

SURVEY = """
name: survey
trigger: {event: conversation.created}
steps:
  - id: ask_score
    type: ask_question
    question: "From 1 to 10?"
    answer_type: number
    timeout: 1h
    exits: {timeout: gone}
  - id: route
    type: branch
    cases:
      - when: {field: vars.answer_ask_score, op: gte, value: 9}
        goto: thanks
    else: sorry
  - {id: thanks, type: send_message, text: "Thanks!", next: end}
  - {id: sorry, type: send_message, text: "Sorry to hear.", next: end}
  - {id: gone, type: send_message, text: "Another time, then."}
"""


async def main(runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/replay.db"
        await upgrade_async(url)
        settings = Settings(_env_file=None, DATABASE_URL=url)  # type: ignore[call-arg]
        services = build_services(settings, FakeClock())
        flow = Path(folder) / "survey.yaml"
        flow.write_text(SURVEY)
        bot = await Harness.start(services, flow)
        for number in range(runs):
            chat = f"c{number}"
            await bot.say("hello", chat=chat)
            if number % 10 != 9:
                await bot.say(str(number % 10 + 1), chat=chat)
        bot.clock.advance(timedelta(hours=2))
        await bot.settle()
        draft = load_text(SURVEY.replace("value: 9", "value: 7"))
        whole, alone, reads = [], [], []
        report = None
        for _ in range(3):
            started = time.perf_counter()
            await recent_runs(services.uow, workflow="survey", limit=runs)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = await replay_last(services.uow, draft, runs, bot.clock.now())
            whole.append(time.perf_counter() - started)
            alone.append(report.seconds)
        await services.close()
    assert report is not None
    return {
        "benchmark": "replay",
        "runs": len(report.outcomes),
        "seconds_read_and_replay": round(statistics.median(whole), 3),
        "seconds_replay_alone": round(statistics.median(alone), 3),
        "runs_per_second": round(len(report.outcomes) / statistics.median(alone)),
        "seconds_read_only": round(statistics.median(reads), 3),
        "ratio_to_read_only": round(statistics.median(whole) / statistics.median(reads), 2),
        "counts": report.counts,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    print(json.dumps(asyncio.run(main(parser.parse_args().runs))))
