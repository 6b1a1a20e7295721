"""Clients of the fleet test, run in the client's network namespace. SOCKS5 written here from RFC 1928
(no library), so what reaches Windsock through HAProxy is exactly these bytes.

  fleet_client.py connect PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT SOURCE COUNT [KILL_PIDS KILL_AT [SIGNAL]]
      COUNT new connections one after another, each: TCP connect from SOURCE, greeting, CONNECT, and on
      success an HTTP GET whose answer must be the target's. One line per attempt:
        attempt I ok BND_ADDR          the reply's BND.ADDR says which node connected out
        attempt I refused REP          the proxy answered with reply code REP
        attempt I failed WHY           anything else (reset, timeout, short answer)
      With KILL_PIDS (comma-separated), SIGTERM (or SIGNAL, e.g. HUP) goes to those processes right
      before attempt KILL_AT.
  fleet_client.py udp PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT SOURCE
      UDP ASSOCIATE over the proxy, one datagram to the target's echo through the announced relay:
        relay ADDR PORT
        echo OK
"""
import ipaddress
import os
import signal
import socket
import struct
import sys
import time

TIMEOUT = 5.0


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def socks5(proxy, source, command, host, port):
    """Opens a control connection and sends one request; returns (socket, REP, BND address, BND port)."""
    sock = socket.create_connection(proxy, timeout=TIMEOUT, source_address=(source, 0))
    sock.sendall(b"\x05\x01\x00")
    if recv_exactly(sock, 2) != b"\x05\x00":
        raise ConnectionError("method selection refused")
    sock.sendall(b"\x05" + bytes([command]) + b"\x00\x01" + ipaddress.IPv4Address(host).packed + struct.pack("!H", port))
    head = recv_exactly(sock, 4)
    if head[0] != 5:
        raise ConnectionError(f"reply version {head[0]}")
    if head[3] != 1:
        raise ConnectionError(f"reply ATYP {head[3]}")
    bound = recv_exactly(sock, 6)
    return sock, head[1], str(ipaddress.IPv4Address(bound[:4])), struct.unpack("!H", bound[4:])[0]


def connect(args):
    proxy = (args[0], int(args[1]))
    target, target_port, source, count = args[2], int(args[3]), args[4], int(args[5])
    kill_pids = [int(p) for p in args[6].split(",")] if len(args) > 6 else None
    kill_at = int(args[7]) if len(args) > 7 else None
    kill_signal = getattr(signal, "SIG" + args[8]) if len(args) > 8 else signal.SIGTERM
    ok = refused = failed = 0
    for i in range(count):
        if kill_pids is not None and i == kill_at:
            for pid in kill_pids:
                os.kill(pid, kill_signal)
            print(f"sent {kill_signal.name} to {','.join(map(str, kill_pids))} before attempt {i}", flush=True)
        try:
            sock, rep, bound, _ = socks5(proxy, source, 1, target, target_port)
            with sock:
                if rep != 0:
                    refused += 1
                    print(f"attempt {i} refused {rep}", flush=True)
                    continue
                sock.sendall(f"GET / HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n".encode())
                answer = b""
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                if not answer.startswith(b"HTTP/1.") or not answer.endswith(b"fleet target\n"):
                    raise ConnectionError(f"unexpected answer {answer[:60]!r}")
                ok += 1
                print(f"attempt {i} ok {bound}", flush=True)
        except (OSError, ConnectionError) as e:
            failed += 1
            print(f"attempt {i} failed {type(e).__name__}: {e}", flush=True)
    print(f"summary ok={ok} refused={refused} failed={failed}", flush=True)


def udp(args):
    proxy = (args[0], int(args[1]))
    target, target_port, source = args[2], int(args[3]), args[4]
    data = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data.bind((source, 0))
    data.settimeout(TIMEOUT)
    # DST.ADDR/PORT: where datagrams will come from (RFC 1928 section 7); the relay pins the association to it.
    control, rep, relay, relay_port = socks5(proxy, source, 3, source, data.getsockname()[1])
    with control, data:
        if rep != 0:
            print(f"refused {rep}", flush=True)
            return
        print(f"relay {relay} {relay_port}", flush=True)
        payload = b"fleet datagram"
        header = b"\x00\x00\x00\x01" + ipaddress.IPv4Address(target).packed + struct.pack("!H", target_port)
        for _ in range(3):
            # UDP may lose a datagram; three tries, each bounded by the timeout.
            data.sendto(header + payload, (relay, relay_port))
            try:
                answer, _ = data.recvfrom(65535)
            except socket.timeout:
                continue
            print("echo OK" if answer == header + payload else f"echo wrong {answer!r}", flush=True)
            return
        print("echo timed out", flush=True)


if __name__ == "__main__":
    {"connect": connect, "udp": udp}[sys.argv[1]](sys.argv[2:])
