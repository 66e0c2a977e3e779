"""A local OpenAI-compatible chat server for harness tests: `POST /v1/chat/completions`
on 127.0.0.1, answering each request with a reply chosen by the test from the request's
text and image.

The reply is looked up by (question text, sha256 of the image's RGB pixels), so the same
question on two images can get two replies; an unknown request gets "I cannot tell." and
is recorded in `unknown`. Every request is recorded in `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Mapping

from PIL import Image

UNKNOWN_REPLY = "I cannot tell."


def image_key(image: Image.Image) -> str:
    """What the server keys replies by: the pixels, whatever the encoding on the wire."""
    rgb = image.convert("RGB")
    return hashlib.sha256(rgb.tobytes() + repr(rgb.size).encode()).hexdigest()


def _parts(messages: list) -> tuple[str, list[Image.Image]]:
    texts, images = [], []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                url = part["image_url"]["url"]
                images.append(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    return "".join(texts), images


class OpenAIServer:
    def __init__(self, replies: Mapping[tuple[str, str], str]):
        self.replies = dict(replies)
        self.requests: list[dict] = []
        self.unknown: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply_to(self, text: str, images: list[Image.Image]) -> str:
        key = (text.strip(), image_key(images[0]) if images else "")
        reply = self.replies.get(key)
        with self._lock:
            self.requests.append({"text": text, "images": len(images)})
            if reply is None:
                self.unknown.append(text)
        return UNKNOWN_REPLY if reply is None else reply

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self.send_error(404)
                    return
                text, images = _parts(body.get("messages") or [])
                reply = server.reply_to(text, images)
                payload = json.dumps({
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(text.split()), "completion_tokens": len(reply.split()),
                              "total_tokens": len(text.split()) + len(reply.split())},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def __enter__(self) -> "OpenAIServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
