#!/usr/bin/env python3
"""traefik/whoami's answer, for `podnet verify`'s real side: the HTTP peer of a lab's `http` ports.

podnet's whoami (src/apps/http/whoami.ts) answers as traefik/whoami does; this script answers the same
bytes from a real socket, so the kernel's TCP carries the same payload as the emulation's:

- the body: "Hostname: NAME", one "IP: ADDR" per address in interface index order (whoami's getIPs walks
  net.Interfaces(); lo's 127.0.0.1 first), "RemoteAddr: IP:PORT", then the request as Go's
  (*http.Request).Write prints it (request line, Host, User-Agent, Content-Length when there is a body,
  the other fields sorted in Go's canonical case, CRLF line ends);
- the response as Go net/http writes it: "HTTP/1.1 200 OK", Date, Content-Length, Content-Type (sniffed:
  "text/plain; charset=utf-8"), no Server field, headers and body in one write; /health answers 200 with
  no body;
- the connection stays open for the next request (HTTP/1.1 keep-alive) and is closed once the client has
  closed its side.

Usage: whoami.py PORT HOSTNAME (run inside the node's namespace; the hostname is the node's name, as a
container's UTS namespace would give it).
"""
import email.utils
import json
import re
import socket
import socketserver
import subprocess
import sys


def addresses():
    """Every address of every interface, in interface index order (lo first), as Go's net.Interfaces."""
    out = subprocess.run(['ip', '-j', 'addr', 'show'], capture_output=True, text=True, check=True).stdout
    links = sorted(json.loads(out), key=lambda link: link['ifindex'])
    return [a['local'] for link in links for a in link.get('addr_info', [])]


def canonical(name):
    """Go's textproto.CanonicalMIMEHeaderKey."""
    if not re.fullmatch(r'[A-Za-z0-9-]+', name):
        return name
    return '-'.join(p[:1].upper() + p[1:].lower() for p in name.split('-'))


def request_write(method, target, fields, body):
    """The request as Go's (*http.Request).Write writes one a server received."""
    host = next((v for k, v in fields if k.lower() == 'host'), '')
    ua = next((v for k, v in fields if k.lower() == 'user-agent'), 'Go-http-client/1.1')
    text = f'{method} {target or "/"} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\n'
    if body or method in ('POST', 'PUT', 'PATCH'):
        text += f'Content-Length: {len(body)}\r\n'
    skip = {'host', 'user-agent', 'content-length', 'transfer-encoding', 'trailer'}
    by_key = {}
    for k, v in fields:
        if k.lower() not in skip:
            by_key.setdefault(canonical(k), []).append(v)
    for k in sorted(by_key):
        for v in by_key[k]:
            text += f'{k}: {v}\r\n'
    return (text + '\r\n').encode('latin-1') + body


class Whoami(socketserver.BaseRequestHandler):
    def handle(self):
        # Go's net/http sets TCP_NODELAY on every connection it accepts
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b''
        while True:
            while b'\r\n\r\n' not in buf:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b'\r\n\r\n', 1)
            lines = head.decode('latin-1').split('\r\n')
            method, target, _ = lines[0].split(' ', 2)
            fields = [tuple(x.strip() for x in line.split(':', 1)) for line in lines[1:] if ':' in line]
            length = int(next((v for k, v in fields if k.lower() == 'content-length'), '0'))
            while len(buf) < length:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                buf += chunk
            body, buf = buf[:length], buf[length:]
            path = target.split('?', 1)[0]
            if path == '/health':
                payload = b''
                extra = ''
            else:
                ip, port = self.client_address[:2]
                text = f'Hostname: {HOSTNAME}\n' + ''.join(f'IP: {a}\n' for a in addresses())
                text += f'RemoteAddr: {ip}:{port}\n'
                payload = text.encode('latin-1') + request_write(method, target, fields, body)
                extra = 'Content-Type: text/plain; charset=utf-8\r\n'
            date = email.utils.formatdate(usegmt=True)
            head = f'HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: {len(payload)}\r\n{extra}\r\n'
            self.request.sendall(head.encode('latin-1') + payload)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == '__main__':
    PORT, HOSTNAME = int(sys.argv[1]), sys.argv[2]
    with Server(('0.0.0.0', PORT), Whoami) as server:
        print('ready', flush=True)
        server.serve_forever()
