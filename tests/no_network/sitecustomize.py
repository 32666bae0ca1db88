"""No network at all (on PYTHONPATH, Python imports this at start-up): looking up or connecting to any host other than
this machine fails at once, and the host is written, one line each, to the file that DLCOURSE_NETWORK_LOG names. The
site is built with it, to show that the build fetches nothing."""
import os, socket

_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo


def _local(host) -> bool:
    host = host.decode() if isinstance(host, bytes) else str(host or '')
    return host in ('', 'localhost', '::1', '0.0.0.0') or host.startswith('127.')


def _refuse(host):
    if os.environ.get('DLCOURSE_NETWORK_LOG'):
        with open(os.environ['DLCOURSE_NETWORK_LOG'], 'a') as f: f.write(f"{host}\n")
    raise OSError(f"no network here: {host} refused")


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]): _refuse(address[0])
    return _connect(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local(host): _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
