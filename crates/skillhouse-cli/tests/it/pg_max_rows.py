"""Sends one query the way DBeaver's data tab does through pgjdbc's setMaxRows: Parse, Bind, Execute with a row
limit, Sync, over a raw Postgres protocol connection (SCRAM-SHA-256 login), and prints what came back: the number
of DataRows, then `suspended` (PortalSuspended) or `complete` (CommandComplete), then the same for a second,
unlimited query on the same connection. libpq has no call that sends an Execute row limit, so this speaks the
protocol itself.

Usage: python3 pg_max_rows.py HOST PORT USER PASSWORD SQL MAX_ROWS
"""
import base64, hashlib, hmac, os, socket, struct, sys

host, port, user, password, sql, max_rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
sock = socket.create_connection((host, port))


def send(kind, payload=b""):
    sock.sendall(kind + struct.pack("!I", len(payload) + 4) + payload)


def receive():
    header = b""
    while len(header) < 5:
        chunk = sock.recv(5 - len(header))
        if not chunk:
            raise SystemExit("the server closed the connection")
        header += chunk
    kind, length = header[:1], struct.unpack("!I", header[1:])[0]
    body = b""
    while len(body) < length - 4:
        body += sock.recv(length - 4 - len(body))
    if kind == b"E":
        raise SystemExit("server error: " + body.decode(errors="replace"))
    return kind, body


def cstr(text):
    return text.encode() + b"\0"


params = cstr("user") + cstr(user) + cstr("database") + cstr("skillhouse") + b"\0"
startup = struct.pack("!I", 196608) + params
sock.sendall(struct.pack("!I", len(startup) + 4) + startup)

# SCRAM-SHA-256 (RFC 5802 / 7677), as libpq does it.
nonce = base64.b64encode(os.urandom(18)).decode()
first_bare = f"n=,r={nonce}"
while True:
    kind, body = receive()
    if kind != b"R":
        continue
    code = struct.unpack("!I", body[:4])[0]
    if code == 10:  # AuthenticationSASL
        message = ("n,," + first_bare).encode()
        send(b"p", cstr("SCRAM-SHA-256") + struct.pack("!I", len(message)) + message)
    elif code == 11:  # SASLContinue
        server_first = body[4:].decode()
        fields = dict(item.split("=", 1) for item in server_first.split(","))
        salt, iterations = base64.b64decode(fields["s"]), int(fields["i"])
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        send(b"p", f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
    elif code == 12:  # SASLFinal
        pass
    elif code == 0:  # AuthenticationOk
        break
while receive()[0] != b"Z":  # ParameterStatus, BackendKeyData … ReadyForQuery
    pass


def run(limit):
    send(b"P", cstr("") + cstr(sql) + struct.pack("!H", 0))
    send(b"B", cstr("") + cstr("") + struct.pack("!HHH", 0, 0, 0))
    send(b"E", cstr("") + struct.pack("!I", limit))
    send(b"S")
    rows, end = 0, None
    while True:
        kind, _ = receive()
        if kind == b"D":
            rows += 1
        elif kind == b"s":
            end = "suspended"
        elif kind == b"C":
            end = "complete"
        elif kind == b"Z":
            return rows, end


for limit in (max_rows, 0):
    rows, end = run(limit)
    print(rows, end)
send(b"X")
