"""ask_question: ask, check the answer, re-ask, give up, time out; save what was answered."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from workflows.answers import AnswerType, Validation, check_answer
from workflows.durations import parse_duration
from workflows.effects import SendMessage, SetContactField
from workflows.inputs import Answer, CallResult, DeliveryFailed, TimerFired
from workflows.message_parts import Choice
from workflows.steps.base import (
    StepBase,
    StepEnv,
    StepResult,
    call_outcome,
    clipped,
    template_fields,
)
from workflows.steps.choices import ChoiceDef

_SAVE_TO = re.compile(r"^(vars|contact)\.[A-Za-z_][A-Za-z0-9_]*$")
_YES_NO = [Choice(label="Yes", value="yes"), Choice(label="No", value="no")]


class AskQuestionStep(StepBase):
    OUTCOMES = ("answered", "invalid", "timeout", "delivery_failed")

    type: Literal["ask_question"] = "ask_question"
    question: str = Field(min_length=1)
    answer_type: AnswerType = "text"
    choices: list[ChoiceDef] = Field(default_factory=list)
    validation: Validation | None = None
    retry_message: str | None = None
    max_attempts: int = Field(default=3, ge=1, le=20)
    timeout: str | None = None
    save_to: str | None = None

    @field_validator("timeout")
    @classmethod
    def _duration(cls, timeout: str | None) -> str | None:
        if timeout is not None:
            parse_duration(timeout)
        return timeout

    @field_validator("save_to")
    @classmethod
    def _target(cls, save_to: str | None) -> str | None:
        if save_to is not None and not _SAVE_TO.match(save_to):
            raise ValueError(f"{save_to!r}: save to `vars.name` or `contact.field`")
        return save_to

    @model_validator(mode="after")
    def _choices_for_choice(self) -> AskQuestionStep:
        if self.answer_type == "choice" and not self.choices:
            raise ValueError("a choice question needs choices")
        return self

    def summary(self) -> str:
        return f"ask ({self.answer_type}): {clipped(self.question)}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("question", "retry_message"))

    def buttons(self) -> list[Choice]:
        if self.choices:
            return [c.to_choice() for c in self.choices]
        return list(_YES_NO) if self.answer_type == "yes_no" else []

    def enter(self, env: StepEnv) -> StepResult:
        env.state.attempts = 0
        self._send(env, env.render(self.question))
        data: dict[str, Any] = {"timeout": self.timeout}
        if self.timeout is not None:
            due = env.now + parse_duration(self.timeout)
            env.schedule_timer(due)
            data["until"] = due.isoformat()
        return StepResult(wait="answer", message="question sent", data=data)

    def resume(self, env: StepEnv, run_input: Any) -> StepResult:
        if isinstance(run_input, Answer):
            return self._answer(env, run_input)
        if isinstance(run_input, TimerFired):
            return StepResult(exit="timeout", message="no answer in time")
        if isinstance(run_input, DeliveryFailed):
            env.cancel_timer()
            return StepResult(
                exit="delivery_failed",
                error=run_input.reason,
                message="question not delivered",
                data={"reason": run_input.reason},
            )
        if isinstance(run_input, CallResult):
            outcome = call_outcome(run_input, field=self.save_to)
            outcome.exit = "answered"
            return outcome
        return super().resume(env, run_input)

    def _answer(self, env: StepEnv, answer: Answer) -> StepResult:
        checked = check_answer(
            self.answer_type, answer.text, answer.payload, self.buttons(), self.validation
        )
        given = {"text": answer.text, "payload": answer.payload}
        if not checked.ok:
            env.state.attempts += 1
            data = {"answer": given, "reason": checked.reason, "attempt": env.state.attempts}
            if env.state.attempts >= self.max_attempts:
                env.cancel_timer()
                return StepResult(exit="invalid", message="too many invalid answers", data=data)
            retry = self.retry_message or "Sorry, I didn't get that. {{ __question__ }}"
            text = env.render(retry.replace("{{ __question__ }}", self.question))
            self._send(env, text)
            return StepResult(wait="answer", message="answer refused, asked again", data=data)
        env.cancel_timer()
        data = {"answer": given, "value": checked.value, "save_to": self.save_to}
        if self.save_to and self.save_to.startswith("contact."):
            field = self.save_to.removeprefix("contact.")
            return StepResult(
                call=SetContactField(field=field, value=checked.value),
                message="answer accepted",
                data=data,
            )
        name = self.save_to.removeprefix("vars.") if self.save_to else f"answer_{env.step_id}"
        env.state.variables[name] = checked.value
        return StepResult(exit="answered", message="answer accepted", data=data)

    def _send(self, env: StepEnv, text: str) -> None:
        env.effects.append(
            SendMessage(
                text=text,
                choices=self.buttons(),
                input_type=self.answer_type,
                step_id=env.step_id,
            )
        )
