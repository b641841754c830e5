"""A fake Twilio REST API (Messages.json) and builders for signed webhook calls."""

from __future__ import annotations

import base64
import itertools
from urllib.parse import parse_qs

from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.fakes.base import FakeServer, Fault, Recorded

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
SIGNATURE_HEADER = "X-Twilio-Signature"
DATE = "Mon, 05 Jan 2026 09:00:00 +0000"

_DEFAULT_ERRORS = {
    400: (21211, "The 'To' number is not a valid phone number."),
    401: (20003, "Authenticate"),
    403: (20003, "Permission denied"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
}


class TwilioFake(FakeServer):
    """Answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` like Twilio does."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._sids = itertools.count(1)
        self.route("POST", "/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)

    def messages(self) -> list[dict[str, str]]:
        """The form of every message-create call, in order (failed ones included)."""
        return [r.form for r in self.received("/Messages.json")]

    def multi(self, index: int, key: str) -> list[str]:
        """All values of a repeated form field (``MediaUrl``) of the ``index``-th call."""
        body = self.received("/Messages.json")[index].body.decode()
        return parse_qs(body, keep_blank_values=True).get(key, [])

    async def _create_message(self, request: web.Request, recorded: Recorded) -> web.Response:
        if not self._authorized(recorded) or request.match_info["sid"] != self.account_sid:
            return _error(401, 20003, "Authenticate")
        form = recorded.form
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21604, "A 'To' and a 'From' or 'MessagingServiceSid' are required.")
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return _error(400, 21619, "A text message body, media or content is required.")
        sid = f"SM{next(self._sids):032d}"
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "from": form.get("From"),
                "to": form["To"],
                "body": form.get("Body", ""),
                "status": "queued" if form.get("From") else "accepted",
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "1" if form.get("MediaUrl") else "0",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": DATE,
                "date_updated": DATE,
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
                "subresource_uris": {},
            },
            status=201,
        )

    def _authorized(self, recorded: Recorded) -> bool:
        header = recorded.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        if isinstance(fault.body, dict) and "type" in fault.body:  # an RFC 9457 problem document
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        code, message = _DEFAULT_ERRORS.get(fault.status, (20500, "Internal Server Error"))
        if isinstance(fault.body, dict):
            code = int(fault.body.get("code", code))
            message = str(fault.body.get("message", message))
        return _error(fault.status, code, message, fault.headers)


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=headers,
    )


# --- inbound webhooks, as Twilio sends and signs them -------------------------------------


def sign(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` for a POST of ``params`` to ``url`` (the URL Twilio called)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def signed_headers(
    url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN
) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(url, params, auth_token)}


def inbound_params(
    message_sid: str = "SM" + "a" * 32,
    *,
    body: str = "Hello",
    wa_id: str = "14155550100",
    profile_name: str = "Ada Lovelace",
    to: str = "whatsapp:+14155238886",
    **extra: str,
) -> dict[str, str]:
    """The form Twilio posts for an incoming WhatsApp message."""
    params = {
        "SmsMessageSid": message_sid,
        "NumMedia": "0",
        "ProfileName": profile_name,
        "MessageType": "text",
        "SmsSid": message_sid,
        "WaId": wa_id,
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": message_sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:+{wa_id}",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def status_params(message_sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    """The form of a delivery status callback."""
    params = {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": "whatsapp:+14155238886",
        "To": "whatsapp:+14155550100",
        "ApiVersion": "2010-04-01",
        "ChannelPrefix": "whatsapp",
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params
