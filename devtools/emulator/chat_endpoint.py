"""A local HTTPS endpoint subscribed to a topic the way AWS Chatbot subscribes to one.

AWS Chatbot ("Amazon Q Developer in chat applications") receives a topic's notifications on an HTTPS
subscription, so SNS hands it the `https` member of a structured message (MessageStructure json:
https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): the custom-notification JSON the alerts
carry. moto delivers HTTP(S) subscriptions from its server with `requests.post`, which verifies TLS;
this endpoint serves a self-signed certificate for 127.0.0.1 and points `REQUESTS_CA_BUNDLE` at it for
as long as it runs, so the delivery is real HTTPS, end to end, in this process.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.emulator.aws import LocalAws

LOCALHOST = "127.0.0.1"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A key and a certificate valid for 127.0.0.1, for a day; returns (certificate, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOCALHOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOCALHOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "endpoint.pem", directory / "endpoint.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


class ChatbotEndpoint:
    """`with ChatbotEndpoint(aws, topic_arn) as chat:` ... `chat.notifications()` (the chat JSON received)."""

    def __init__(self, aws: LocalAws, topic_arn: str) -> None:
        self._aws = aws
        self._topic_arn = topic_arn
        self.deliveries: list[dict[str, Any]] = []  # the SNS envelopes POSTed, in arrival order
        self._lock = threading.Lock()
        self._scratch = tempfile.TemporaryDirectory()
        self._server: ThreadingHTTPServer | None = None
        self._previous_bundle: str | None = None
        self.subscription_arn = ""

    def __enter__(self) -> ChatbotEndpoint:
        certificate, key = self_signed_certificate(Path(self._scratch.name))
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with endpoint._lock:
                    endpoint.deliveries.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._previous_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(certificate)
        url = f"https://{LOCALHOST}:{self._server.server_address[1]}/chatbot"
        self.subscription_arn = self._aws.client("sns").subscribe(
            TopicArn=self._topic_arn, Protocol="https", Endpoint=url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._aws.client("sns").unsubscribe(SubscriptionArn=self.subscription_arn)
        if self._previous_bundle is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = self._previous_bundle
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._scratch.cleanup()

    def notifications(self) -> list[Any]:
        """The `Message` of each notification delivered: what AWS Chatbot would render, parsed."""
        with self._lock:
            return [json.loads(delivery["Message"]) for delivery in self.deliveries]
