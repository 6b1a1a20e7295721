"""The target of the fleet test, in its own network namespace: HTTP on ADDRESS:80 answering every GET with
"fleet target\n", and a UDP echo on ADDRESS:7. Prints "listening" once both are bound."""
import http.server
import socket
import sys
import threading

address = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"fleet target\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def echo(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(data, peer)


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((address, 7))
threading.Thread(target=echo, args=(udp,), daemon=True).start()
server = http.server.ThreadingHTTPServer((address, 80), Handler)
server.daemon_threads = True
print("listening", flush=True)
server.serve_forever()
