"""A chat client in Python (Debian's python3-socketio), to check the server with a client this project did not
write. Usage: python_chat.py URL NAME MODE, MODE being `tutorial` (login {id} event) or `auth` (handshake auth).
Prints one JSON line per step; exits non-zero on any failure. Every wait is bounded."""
import json
import sys
import threading

import socketio

url, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
TEXT = f"hello from python ({mode})"
echoed = threading.Event()
session = {}
sio = socketio.Client(reconnection=False)
printing = threading.Lock()  # events arrive on the client's own thread: one whole line at a time


def out(*items):
    with printing:
        print(json.dumps(items), flush=True)


@sio.on("allmessage")
def on_allmessage(message):
    if message.get("text") == TEXT:
        out("allmessage", message)
        echoed.set()


@sio.on("session")
def on_session(info):
    session.update(info)
    out("session", info)


transports = ["websocket"] if mode == "auth" else ["polling"]
sio.connect(url, auth={"username": name} if mode == "auth" else None, transports=transports, wait_timeout=5)
if mode == "tutorial":
    out("login", sio.call("login", {"id": name}, timeout=5))
out("sendMsg", sio.call("sendMsg", {"newAccount": TEXT}, timeout=5))
if not echoed.wait(5):
    out("error", "no echo of the message")
    sys.exit(1)
out("transport", sio.transport())
sio.disconnect()
