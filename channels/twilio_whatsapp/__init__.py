"""WhatsApp through Twilio: signed webhooks in, twilio's Client out."""

from channels.twilio_whatsapp.channel import (
    STATUS_PATH,
    WEBHOOK_PATH,
    WINDOW,
    TwilioWhatsAppChannel,
)
from channels.twilio_whatsapp.render import numbered_choices

__all__ = ["STATUS_PATH", "WEBHOOK_PATH", "WINDOW", "TwilioWhatsAppChannel", "numbered_choices"]
