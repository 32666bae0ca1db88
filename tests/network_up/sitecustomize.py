"""A stand-in for a network that answers (on PYTHONPATH, Python imports this at start-up): a TCP connection to any host
other than this machine opens at once, and then reads as closed. So `reachable` answers yes, as on a connected machine,
and anything that goes on to download fails at once instead of waiting."""
import socket

_connect = socket.create_connection


def create_connection(address, *args, **kwargs):
    host = str(address[0])
    if host in ('localhost', '::1', '0.0.0.0') or host.startswith('127.'): return _connect(address, *args, **kwargs)
    mine, theirs = socket.socketpair()
    theirs.close()
    return mine


socket.create_connection = create_connection
