"""The embeddable web chat widget: WebSocket + HTTP fallback, static script, demo page."""

from channels.widget.channel import WidgetChannel
from channels.widget.tokens import identity_hash

__all__ = ["WidgetChannel", "identity_hash"]
