"""The local site of the windsock run tests: HTTP on 127.0.0.1 (a free port) inside the proxy's
network namespace, so only the proxy can reach it. GET /bytes/N answers N bytes of a fixed pattern,
byte i = (i*31 + (i >> 8)) & 255 (the tests compute the same), streamed in 64 KiB pieces so a
256 MiB answer costs no memory. Prints "listening PORT" once ready."""
import http.server
import sys

BLOCK = bytes(((i * 31) + (i >> 8)) & 255 for i in range(65536))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "bytes" or not parts[2].isdigit():
            self.send_error(404)
            return
        size = int(parts[2])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        view = memoryview(BLOCK)
        while sent < size:
            n = min(len(BLOCK), size - sent)
            self.wfile.write(view[:n])
            sent += n

    def log_message(self, format, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("listening", server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
