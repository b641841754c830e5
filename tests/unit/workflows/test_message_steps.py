"""send_message, send_notification, send_webhook, set_variable."""

from __future__ import annotations

from workflows.effects import AiRequest, Notify, SendMessage, Webhook
from workflows.message_parts import Template

from .helpers import begin, context, workflow


def test_send_message_with_media_choices_and_template() -> None:
    wf = workflow(
        """
        - type: send_message
          text: "Hi {{ contact.name | default: 'there' }}"
          media_url: "https://cdn.example.com/{{ conversation.id }}.png"
          choices: [Yes, {label: Later, value: later}]
          template: {content_sid: HX123, variables: {"1": "{{ contact.name }}"}}
        """
    )
    [msg] = begin(wf).effects
    assert isinstance(msg, SendMessage)
    assert msg.text == "Hi Ada"
    assert msg.media_url == "https://cdn.example.com/11.png"
    assert [c.value for c in msg.choices] == ["Yes", "later"]
    assert msg.template == Template(content_sid="HX123", variables={"1": "Ada"})
    assert msg.ai is None


def test_send_message_ai_request_carries_instructions_and_fallback() -> None:
    wf = workflow(
        """
        - type: send_message
          ai: {instructions: "Greet {{ contact.name }} briefly", fallback: "Hello!"}
        """
    )
    [msg] = begin(wf).effects
    assert isinstance(msg, SendMessage)
    assert msg.ai == AiRequest(instructions="Greet Ada briefly", fallback="Hello!")


def test_send_notification_to_a_role_via_slack_and_email() -> None:
    wf = workflow(
        """
        - type: send_notification
          to: {role: sales_manager}
          via: [slack, email]
          text: "Lead {{ lead.name }} qualified: ${{ lead.expected_amount }}"
        """
    )
    [note] = begin(wf).effects
    assert note == Notify(
        to={"role": "sales_manager"},
        via=["slack", "email"],
        text="Lead Acme qualified: $7500",
        step_id="step-1",
    )


def test_send_webhook_body_headers_and_stable_delivery_id() -> None:
    wf = workflow(
        """
        - id: hook
          type: send_webhook
          url: "https://hooks.example.com/vip"
          body: {lead: "{{ lead.id }}", amount: "{{ lead.expected_amount }}", note: "x {{ lead.name }}"}
          headers: {X-Source: relaybot}
          secret: s3cret
        """
    )
    [hook] = begin(wf).effects
    assert isinstance(hook, Webhook)
    assert hook.body == {"lead": 3, "amount": 7500, "note": "x Acme"}
    assert hook.headers == {"X-Source": "relaybot"}
    assert hook.secret == "s3cret"
    assert hook.delivery_id == begin(wf).effects[0].delivery_id  # type: ignore[union-attr]


def test_send_webhook_delivery_id_differs_per_run() -> None:
    from workflows import engine

    from .helpers import NOW

    wf = workflow("- {id: hook, type: send_webhook, url: 'https://h.example.com'}")
    one = engine.start(wf, context(), NOW, run_id="1").effects[0]
    two = engine.start(wf, context(), NOW, run_id="2").effects[0]
    assert one.delivery_id != two.delivery_id  # type: ignore[union-attr]


def test_send_webhook_default_body_is_json_safe_context() -> None:
    wf = workflow("- {type: send_webhook, url: 'https://h.example.com'}")
    [hook] = begin(wf, variables={"a": 1}).effects
    assert isinstance(hook, Webhook)
    assert hook.body["lead"]["name"] == "Acme"
    assert hook.body["vars"] == {"a": 1}


def test_set_variable_keeps_native_types_and_templates_text() -> None:
    wf = workflow(
        """
        - {type: set_variable, name: amount, value: "{{ lead.expected_amount }}"}
        - {type: set_variable, name: vars.label, value: "Lead {{ lead.name }}"}
        - {type: set_variable, name: items, value: [1, "{{ contact.name }}"]}
        """
    )
    t = begin(wf)
    assert t.state.variables == {"amount": 7500, "label": "Lead Acme", "items": [1, "Ada"]}
