"""Prometheus metrics, one registry per app (so tests and several apps never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """Every metric relaybot exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.inbound_messages = Counter(
            "relaybot_inbound_messages",
            "Customer messages received",
            ["channel", "result"],
            registry=r,
        )
        self.inbound_refused = Counter(
            "relaybot_inbound_refused",
            "Inbound requests refused with a 4xx",
            ["channel", "reason"],
            registry=r,
        )
        self.receive_seconds = Histogram(
            "relaybot_receive_seconds",
            "Time to store one inbound message",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbound_sends = Counter(
            "relaybot_outbound_sends", "Outbound deliveries", ["kind", "result"], registry=r
        )
        self.outbox_retries = Counter(
            "relaybot_outbox_retries",
            "Outbound deliveries scheduled for retry",
            ["kind"],
            registry=r,
        )
        self.outbox_dead = Counter(
            "relaybot_outbox_dead", "Outbound items given up on", ["kind"], registry=r
        )
        self.delivery_seconds = Histogram(
            "relaybot_delivery_seconds",
            "Time to deliver one outbound item",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.runs = Counter(
            "relaybot_workflow_runs", "Workflow runs by outcome", ["status"], registry=r
        )
        self.steps = Counter(
            "relaybot_workflow_steps", "Workflow steps executed", ["type"], registry=r
        )
        self.step_seconds = Histogram(
            "relaybot_step_seconds",
            "Time to execute one workflow activation",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.timers_fired = Counter("relaybot_timers_fired", "Timers fired", ["kind"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
