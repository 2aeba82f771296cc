#!/usr/bin/env python3
"""bench/memory: peak memory of gatewayd per request, against its body size.

Starts the Release gatewayd once per case (a fresh process, so one case's freed memory does not
hide the next one's), sends the case's request bodies, and reads the growth of the process's
peak resident set (VmHWM in /proc/PID/status) over its value before the requests. Each case has
a bound; the script exits 1 when one is broken, 0 when all hold.

    python3 bench/memory/run.py [--gatewayd PATH] [--only NAME]

Everything listens on 127.0.0.1: gatewayd on a free port, and a small upstream (in this process)
that reads each request body whole and answers a minimal OpenAI or Anthropic response.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1024 * 1024
KEY = "sk-bench-memory-0123456789abcdef"

# --- the upstream ----------------------------------------------------------------------------

OPENAI_ANSWER = json.dumps({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "up",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
ANTHROPIC_ANSWER = json.dumps({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "up",
    "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}).encode()


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining > 0:
            got = self.rfile.read(min(remaining, MIB))
            if not got:
                return
            remaining -= len(got)
        body = ANTHROPIC_ANSWER if self.path.endswith("/messages") else OPENAI_ANSWER
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# --- gatewayd --------------------------------------------------------------------------------


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


class Gatewayd:
    def __init__(self, binary, upstream_port, server_extra):
        self.dir = tempfile.mkdtemp(prefix="gatewayd-memory.")
        up = f"http://127.0.0.1:{upstream_port}"
        server = {"host": "127.0.0.1", "port": 0, "threads": 2, "max_body_bytes": 32 * MIB}
        server.update(server_extra)
        config = {
            "server": server,
            "sqlite_path": os.path.join(self.dir, "gatewayd.db"),
            "log_level": "warn",
            "channels": [
                {"name": "mock", "type": "mock", "models": ["mock-gpt-4o", "mock-claude"]},
                {"name": "pass", "type": "openai", "base_url": up, "key": "sk-up",
                 "models": ["gpt-pass"]},
                {"name": "convert", "type": "anthropic", "base_url": up, "key": "sk-up",
                 "models": ["claude-convert"]},
            ],
            "tokens": [{"name": "bench", "key": KEY}],
        }
        path = os.path.join(self.dir, "gatewayd.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(self.dir, "gatewayd.log"), "w+")
        self.proc = subprocess.Popen([binary, "--config", path], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.time() + 10
        while time.time() < deadline and self.port is None:
            if self.proc.poll() is not None:
                break
            self.log.seek(0)
            m = re.search(r"listening on [^\s]*:(\d+)", self.log.read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)
        if self.port is None:
            self.log.seek(0)
            raise RuntimeError("gatewayd did not start:\n" + self.log.read())

    def hwm_kib(self):
        return status_kib(self.proc.pid, "VmHWM")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def post(port, path, body, key=True):
    """Writes the whole body, then reads the answer (as Python's clients do)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}
    if key:
        headers["Authorization"] = "Bearer " + KEY
    try:
        conn.request("POST", path, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        return res.status, data
    except (ConnectionError, OSError) as e:
        return None, str(e).encode()
    finally:
        conn.close()


# --- the bodies ------------------------------------------------------------------------------


def one_string(model, size, anthropic=False):
    head = {"model": model, "messages": [{"role": "user", "content": "@"}]}
    if anthropic:
        head["max_tokens"] = 16
    text = json.dumps(head)
    filler = "lorem ipsum " * (size // 12)
    return text.replace('"@"', json.dumps(filler[: size - len(text)])).encode()


def many_messages(model, count):
    messages = ",".join(['{"role":"user","content":"w"}'] * count)
    return ('{"model":"%s","messages":[%s]}' % (model, messages)).encode()


def many_zeros(model, size):
    head = '{"model":"%s","messages":[{"role":"user","content":"hi"}],"logit_bias_x":[' % model
    count = (size - len(head)) // 2
    return (head + ",".join(["0"] * count) + "]}").encode()


def many_parts(model, count):
    parts = ",".join(['{"type":"text","text":"w"}'] * count)
    return ('{"model":"%s","messages":[{"role":"user","content":[%s]}]}' % (model, parts)).encode()


# --- the cases -------------------------------------------------------------------------------
# name, route, body maker, concurrent requests, with a key, server settings, statuses accepted,
# bound on the peak growth in bytes (a function of the body size and the server settings).

SIZE = 30 * MIB


def per_body(factor):
    return lambda body, n, server: factor * body


CASES = [
    ("chat-1m-messages-mock", "/v1/chat/completions",
     lambda: many_messages("mock-gpt-4o", 1_000_000), 1, True, {}, {200, 400, 413}, per_body(4)),
    ("chat-1m-messages-pass", "/v1/chat/completions",
     lambda: many_messages("gpt-pass", 1_000_000), 1, True, {}, {200, 400, 413}, per_body(4)),
    ("chat-1m-parts-convert", "/v1/chat/completions",
     lambda: many_parts("claude-convert", 1_000_000), 1, True, {}, {200, 400, 413}, per_body(4)),
    ("chat-15m-zeros-pass", "/v1/chat/completions",
     lambda: many_zeros("gpt-pass", SIZE), 1, True, {}, {200, 400, 413}, per_body(4)),
    ("chat-string-mock", "/v1/chat/completions",
     lambda: one_string("mock-gpt-4o", SIZE), 1, True, {}, {200}, per_body(4)),
    ("chat-string-pass", "/v1/chat/completions",
     lambda: one_string("gpt-pass", SIZE), 1, True, {}, {200}, per_body(4)),
    ("chat-string-convert", "/v1/chat/completions",
     lambda: one_string("claude-convert", SIZE), 1, True, {}, {200}, per_body(4)),
    ("messages-string-convert", "/v1/messages",
     lambda: one_string("gpt-pass", SIZE, anthropic=True), 1, True, {}, {200}, per_body(4)),
    ("responses-string-mock", "/v1/responses",
     lambda: json.dumps({"model": "mock-gpt-4o", "input": "x" * SIZE}).encode(), 1, True, {},
     {200}, per_body(4)),
    ("sandbox-string", "/sandbox/v1/chat/completions",
     lambda: one_string("any", SIZE), 1, False, {}, {200}, per_body(4)),
    # Without a key nothing of the body is held: 16 × 30 MiB must cost next to nothing.
    ("keyless-16x", "/v1/chat/completions",
     lambda: one_string("gpt-pass", SIZE), 16, False, {}, {401}, lambda body, n, s: 32 * MIB),
    # No key needed on the sandbox: the budget for bodies in flight bounds what is held, each
    # body at most 4× in the relay.
    ("sandbox-16x-budget", "/sandbox/v1/chat/completions",
     lambda: one_string("any", SIZE), 16, False, {"max_body_bytes_in_flight": 64 * MIB},
     {200, 503}, lambda body, n, s: 4 * s["max_body_bytes_in_flight"]),
]


def run_case(binary, upstream_port, case):
    name, route, make, concurrent, key, server, accepted, bound_of = case
    body = make()
    gw = Gatewayd(binary, upstream_port, server)
    try:
        time.sleep(0.2)
        before = gw.hwm_kib()
        results = [None] * concurrent

        def one(i):
            results[i] = post(gw.port, route, body, key)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(concurrent)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = gw.hwm_kib()
        alive = gw.proc.poll() is None
    finally:
        gw.stop()
    growth = (after - before) * 1024
    bound = bound_of(len(body), concurrent, server)
    statuses = sorted({s for s, _ in results}, key=str)
    problems = []
    if not alive:
        problems.append("gatewayd died")
    bad = [(s, d[:200]) for s, d in results if s not in accepted]
    if bad:
        problems.append(f"unexpected answers {bad[:2]}")
    if growth > bound:
        problems.append(f"peak growth {growth / MIB:.1f} MiB > bound {bound / MIB:.1f} MiB")
    print(f"{name:28} body {len(body) / MIB:6.1f} MiB x{concurrent:<3} "
          f"peak +{growth / MIB:7.1f} MiB ({growth / len(body):5.2f}x body) "
          f"bound {bound / MIB:6.1f} MiB  statuses {statuses}  "
          f"{'FAIL: ' + '; '.join(problems) if problems else 'ok'}", flush=True)
    return not problems


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatewayd", default=os.path.join(root, "build/release/apps/gatewayd/gatewayd"))
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    if not os.path.exists(args.gatewayd):
        sys.exit(f"bench/memory: no gatewayd at {args.gatewayd}: build the release preset "
                 "(cmake --preset release && cmake --build --preset release --target gatewayd)")

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ok = True
    try:
        for case in CASES:
            if args.only and args.only not in case[0]:
                continue
            ok = run_case(args.gatewayd, upstream.server_address[1], case) and ok
    finally:
        upstream.shutdown()
    print("bench/memory: " + ("every bound held" if ok else "a bound was broken"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
