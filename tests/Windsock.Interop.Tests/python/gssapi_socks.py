#!/usr/bin/python3
"""An RFC 1961 (GSS-API for SOCKS5) client written from the RFC, independent of Windsock's code.

It checks Windsock's GSSAPI side with Debian's python3-gssapi (MIT krb5): context establishment,
protection-level negotiation, and per-message protection of the request, the reply, CONNECT data
and UDP datagrams. It runs its own target (a TCP echo, or a UDP echo) on 127.0.0.1, so it can also
tell what the target received. One line per fact on stdout; failures on stderr with an exit code:

  0 ok   2 usage   3 no acceptable method   4 local GSS-API failure (abort sent)
  5 server aborted   6 protection not granted as asked   7 reply not success   8 data mismatch
  9 tamper not detected
"""
import argparse
import hashlib
import random
import socket
import struct
import sys
import threading

import gssapi

VER = 1
MTYP_CONTEXT, MTYP_LEVEL, MTYP_DATA, MTYP_ABORT = 1, 2, 3, 0xFF
LEVELS = {"clear": 0, "integrity": 1, "confidentiality": 2, "selective": 3}
NAMES = {v: k for k, v in LEVELS.items()}
MAX_CHUNK = 60000  # plaintext per message: a wrapped token must stay under 65535 octets


def fail(code, text):
    print(text, file=sys.stderr, flush=True)
    sys.exit(code)


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return bytes(data)


def send_msg(sock, mtyp, token):
    sock.sendall(struct.pack("!BBH", VER, mtyp, len(token)) + token)


def recv_msg(sock):
    ver, mtyp = recv_exact(sock, 2)
    if ver != VER:
        raise ValueError("server sent VER %d" % ver)
    if mtyp == MTYP_ABORT:
        return mtyp, b""
    (length,) = struct.unpack("!H", recv_exact(sock, 2))
    return mtyp, recv_exact(sock, length)


class Protected:
    """Per-message protection (RFC 1961 section 5) at the granted level, one lock for both directions."""

    def __init__(self, ctx, level):
        self.ctx, self.level, self.lock = ctx, level, threading.Lock()
        self.rng = random.Random(1961)

    def conf_for_next(self):
        if self.level == 1:
            return False
        if self.level == 2:
            return True
        return self.rng.random() < 0.5  # selective: each message chooses

    def wrap(self, data):
        with self.lock:
            return self.ctx.wrap(data, self.conf_for_next()).message

    def unwrap(self, token):
        with self.lock:
            res = self.ctx.unwrap(token)
        # The server must protect at the granted level: integrity never encrypts, confidentiality always.
        if self.level == 1 and res.encrypted:
            fail(8, "server encrypted a message at level integrity")
        if self.level == 2 and not res.encrypted:
            fail(8, "server sent a message without confidentiality at level confidentiality")
        return res.message

    def send(self, sock, data):
        send_msg(sock, MTYP_DATA, self.wrap(data))

    def recv(self, sock):
        mtyp, token = recv_msg(sock)
        if mtyp == MTYP_ABORT:
            fail(5, "server aborted (MTYP 0xFF)")
        if mtyp != MTYP_DATA:
            fail(8, "expected MTYP 3, got %d" % mtyp)
        return self.unwrap(token)


def authenticate(sock, args):
    """Method selection, context establishment, protection level. Returns (ctx, granted level)."""
    sock.sendall(bytes([5, 1, 1]))
    ver, method = recv_exact(sock, 2)
    if method != 1:
        fail(3, "server selected method 0x%02x, not GSSAPI" % method)

    target = gssapi.Name("%s@localhost" % args.service, gssapi.NameType.hostbased_service)
    flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.integrity,
             gssapi.RequirementFlag.confidentiality, gssapi.RequirementFlag.out_of_sequence_detection]
    try:
        ctx = gssapi.SecurityContext(name=target, mech=gssapi.MechType.kerberos, usage="initiate", flags=flags)
        token = ctx.step()
    except gssapi.exceptions.GSSError as e:
        # RFC 1961: a party that cannot go on sends the abort.
        sock.sendall(bytes([VER, MTYP_ABORT]))
        fail(4, "local GSS-API failure, abort sent: %s" % e)

    while True:
        if token:
            send_msg(sock, MTYP_CONTEXT, token)
        if ctx.complete:
            break
        mtyp, reply = recv_msg(sock)
        if mtyp == MTYP_ABORT:
            fail(5, "server aborted the context establishment (MTYP 0xFF)")
        if mtyp != MTYP_CONTEXT:
            fail(5, "expected MTYP 1, got %d" % mtyp)
        token = ctx.step(reply)
    print("authenticated as %s" % ctx.initiator_name, flush=True)

    asked = LEVELS[args.level]
    if args.nec:
        send_msg(sock, MTYP_LEVEL, bytes([asked]))
    else:
        send_msg(sock, MTYP_LEVEL, ctx.wrap(bytes([asked]), False).message)
    mtyp, token = recv_msg(sock)
    if mtyp == MTYP_ABORT:
        fail(5, "server aborted the protection-level negotiation (MTYP 0xFF)")
    if args.nec:
        granted = token
    else:
        res = ctx.unwrap(token)
        if res.encrypted:
            fail(6, "the level answer was encrypted; RFC 1961 wraps it with conf_req_flag FALSE")
        granted = res.message
    if len(granted) != 1:
        fail(6, "level answer of %d octets" % len(granted))
    granted = granted[0]
    print("granted %s" % NAMES.get(granted, granted), flush=True)
    if granted != asked:
        fail(6, "asked for %s, granted %s" % (args.level, NAMES.get(granted, granted)))
    return ctx, granted


def request(sock, prot, cmd, host, port):
    print("request %d %s:%d" % (cmd, host, port), flush=True)
    req = bytes([5, cmd, 0, 1]) + socket.inet_aton(host) + struct.pack("!H", port)
    if prot:
        prot.send(sock, req)
        reply = prot.recv(sock)
    else:
        sock.sendall(req)
        reply = recv_exact(sock, 10)
    if reply[1] != 0:
        fail(7, "reply %d" % reply[1])
    return socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0]


class EchoTarget(threading.Thread):
    """One TCP connection: echo everything, count it, FIN after the client's FIN."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(60)
        self.port = self.listener.getsockname()[1]
        self.received = 0
        self.closed = threading.Event()

    def run(self):
        conn, _ = self.listener.accept()
        conn.settimeout(60)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                self.received += len(data)
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            conn.close()
            self.closed.set()


def connect_echo(sock, prot, args):
    target = EchoTarget()
    target.start()
    request(sock, prot, 1, "127.0.0.1", target.port)
    echo_through(sock, prot, args)


def bind_echo(sock, prot, args):
    """BIND: the first reply names where the peer connects, the second names the peer; both wrapped."""
    host, port = request(sock, prot, 2, "127.0.0.1", 0)
    peer = socket.create_connection((host, port), timeout=30)
    reply = prot.recv(sock) if prot else recv_exact(sock, 10)
    if reply[1] != 0:
        fail(7, "second reply %d" % reply[1])
    print("bind peer accepted", flush=True)

    def echo():
        while True:
            data = peer.recv(65536)
            if not data:
                break
            peer.sendall(data)
        peer.shutdown(socket.SHUT_WR)

    threading.Thread(target=echo, daemon=True).start()
    echo_through(sock, prot, args)


def echo_through(sock, prot, args):
    """Sends random bytes in mixed chunk sizes while reading the echo; compares byte for byte."""
    rng = random.Random(args.seed)
    payload = bytes(rng.getrandbits(8) for _ in range(args.bytes))
    sizes = [1, 7, 100, 1000, 4096, 16384, MAX_CHUNK, 333, 65]

    def sender():
        offset, i = 0, 0
        while offset < len(payload):
            chunk = payload[offset:offset + sizes[i % len(sizes)]]
            if prot:
                prot.send(sock, chunk)
            else:
                sock.sendall(chunk)
            offset += len(chunk)
            i += 1
        sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    back = bytearray()
    while True:
        if prot:
            try:
                back += prot.recv(sock)
            except EOFError:
                break
        else:
            data = sock.recv(65536)
            if not data:
                break
            back += data
    thread.join(30)
    if bytes(back) != payload:
        fail(8, "echo differs: sent %d bytes sha256 %s, got %d bytes sha256 %s" % (
            len(payload), hashlib.sha256(payload).hexdigest(), len(back), hashlib.sha256(back).hexdigest()))
    print("echoed %d bytes intact" % len(payload), flush=True)


def tamper(sock, prot, args):
    target = EchoTarget()
    target.start()
    request(sock, prot, 1, "127.0.0.1", target.port)
    token = bytearray(prot.wrap(b"this message was altered on the way"))
    token[len(token) // 2] ^= 0x01
    send_msg(sock, MTYP_DATA, bytes(token))
    try:
        rest = sock.recv(65536)
    except (ConnectionResetError, OSError):
        rest = b""
    if rest:
        fail(9, "the server answered a tampered message with %d bytes" % len(rest))
    if not target.closed.wait(30):
        fail(9, "the server kept the target connection open after a tampered message")
    if target.received:
        fail(9, "the target received %d bytes of a tampered message" % target.received)
    print("session ended, target received 0 bytes", flush=True)


def udp_echo(sock, prot, args):
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    echo.settimeout(30)

    def serve():
        try:
            while True:
                data, peer = echo.recvfrom(65535)
                echo.sendto(data, peer)
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.settimeout(30)
    relay = request(sock, prot, 3, "0.0.0.0", 0)
    rng = random.Random(args.seed)
    header = bytes([0, 0, 0, 1]) + socket.inet_aton("127.0.0.1") + struct.pack("!H", echo.getsockname()[1])
    for size in [1, 100, 1400, 8000, 30000]:
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        token = prot.wrap(header + payload) if prot else None
        client.sendto(struct.pack("!BBH", VER, MTYP_DATA, len(token)) + token if prot else header + payload, relay)
        datagram, _ = client.recvfrom(65535)
        if prot:
            ver, mtyp, length = struct.unpack("!BBH", datagram[:4])
            if ver != VER or mtyp != MTYP_DATA or length != len(datagram) - 4:
                fail(8, "relay datagram is not one RFC 1961 message: %r" % datagram[:4])
            datagram = prot.unwrap(datagram[4:])
        if datagram[:3] != b"\0\0\0" or datagram[10:] != payload or datagram[4:10] != header[4:10]:
            fail(8, "datagram of %d bytes came back different" % size)
    print("udp datagrams echoed intact", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--service", default="rcmd")
    parser.add_argument("--level", default="integrity", choices=LEVELS)
    parser.add_argument("--nec", action="store_true", help="send the level octet unwrapped (NEC style)")
    parser.add_argument("--mode", default="connect", choices=["connect", "bind", "tamper", "udp", "auth"])
    parser.add_argument("--bytes", type=int, default=1 << 20)
    parser.add_argument("--seed", type=int, default=1961)
    args = parser.parse_args()
    host, port = args.proxy.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=60)
    ctx, granted = authenticate(sock, args)
    prot = Protected(ctx, granted) if granted else None
    if args.mode == "connect":
        connect_echo(sock, prot, args)
    elif args.mode == "bind":
        bind_echo(sock, prot, args)
    elif args.mode == "tamper":
        tamper(sock, prot, args)
    elif args.mode == "udp":
        udp_echo(sock, prot, args)
    sock.close()


if __name__ == "__main__":
    main()
