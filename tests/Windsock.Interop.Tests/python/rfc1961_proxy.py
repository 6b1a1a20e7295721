#!/usr/bin/python3
"""A minimal SOCKS5 proxy with GSSAPI only (RFC 1961), written from the RFC with python-gssapi
(Debian python3-gssapi) as an independent peer for Windsock's client tools. CONNECT only.

    rfc1961_proxy.py [--grant LEVEL]

Listens on 127.0.0.1 (a free port), prints "listening PORT", serves until killed. The acceptor takes its
key from KRB5_KTNAME. --grant answers every client with LEVEL (0 clear, 1 integrity, 2 confidentiality)
instead of the level it asked for. Each session logs "session PRINCIPAL asked N granted M" on stderr.
"""
import socket
import struct
import sys
import threading

import gssapi


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_message(sock):
    # +------+------+------+.......................+
    # + ver  | mtyp | len  |       token           |
    # +------+------+------+.......................+
    ver, mtyp = recv_exact(sock, 2)
    if ver != 1:
        raise ValueError(f"GSSAPI message version {ver}")
    if mtyp == 0xFF:
        raise EOFError("client aborted")
    (length,) = struct.unpack(">H", recv_exact(sock, 2))
    return mtyp, recv_exact(sock, length)


def send_message(sock, mtyp, token):
    sock.sendall(bytes([1, mtyp]) + struct.pack(">H", len(token)) + token)


class Wire:
    """The client connection after negotiation: plain, or RFC 1961 section 5 encapsulation."""

    def __init__(self, sock, ctx, level):
        self.sock, self.ctx, self.level = sock, ctx, level
        self.lock = threading.Lock()
        self.pending = b""

    def read(self, n):
        while len(self.pending) < n:
            chunk = self.read_some()
            if not chunk:
                raise EOFError("closed in the request")
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def read_some(self):
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        if self.level == 0:
            return self.sock.recv(65536)
        try:
            mtyp, token = read_message(self.sock)
        except EOFError:
            return b""
        if mtyp != 3:
            raise ValueError(f"message type {mtyp} after negotiation")
        with self.lock:
            result = self.ctx.unwrap(token)
        if self.level == 2 and not result.encrypted:
            raise ValueError("integrity-only message under confidentiality")
        return result.message

    def write(self, data):
        if self.level == 0:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), 60000):
            with self.lock:
                token = self.ctx.wrap(data[i:i + 60000], self.level >= 2).message
            send_message(self.sock, 3, token)


def serve(client, grant):
    try:
        ver, n = recv_exact(client, 2)
        methods = recv_exact(client, n)
        if 1 not in methods:
            client.sendall(b"\x05\xff")
            return
        client.sendall(b"\x05\x01")

        ctx = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"), usage="accept")
        while not ctx.complete:
            mtyp, token = read_message(client)
            if mtyp != 1:
                raise ValueError(f"message type {mtyp} during context establishment")
            out = ctx.step(token)
            if out:
                send_message(client, 1, out)

        mtyp, token = read_message(client)
        asked = ctx.unwrap(token).message[0]
        level = asked if grant is None else grant
        send_message(client, 2, ctx.wrap(bytes([level]), False).message)
        print(f"session {ctx.initiator_name} asked {asked} granted {level}", file=sys.stderr, flush=True)

        wire = Wire(client, ctx, level)
        ver, cmd, _, atyp = wire.read(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, wire.read(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, wire.read(16))
        else:
            host = wire.read(wire.read(1)[0]).decode("ascii")
        (port,) = struct.unpack(">H", wire.read(2))
        if cmd != 1:
            wire.write(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        upstream = socket.create_connection((host, port))
        bound_host, bound_port = upstream.getsockname()[:2]
        wire.write(b"\x05\x00\x00\x01" + socket.inet_aton(bound_host) + struct.pack(">H", bound_port))

        def up():
            try:
                while True:
                    data = wire.read_some()
                    if not data:
                        break
                    upstream.sendall(data)
            finally:
                upstream.shutdown(socket.SHUT_WR)

        pump = threading.Thread(target=up, daemon=True)
        pump.start()
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            wire.write(data)
        client.shutdown(socket.SHUT_WR)
        pump.join()
    except Exception as e:  # one session's failure is logged, the proxy goes on
        print(f"session failed: {e!r}", file=sys.stderr, flush=True)
    finally:
        client.close()


def main():
    grant = int(sys.argv[sys.argv.index("--grant") + 1]) if "--grant" in sys.argv else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"listening {listener.getsockname()[1]}", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, grant), daemon=True).start()


if __name__ == "__main__":
    main()
