"""Imports a broad set of the standard library's extension modules and the
pure modules built on them, then answers with what it used. Two own-GIL
interpreters importing this must serve and stop cleanly."""
import importlib

EXTENSIONS = """_asyncio _bisect _blake2 _bz2 _codecs_cn _codecs_hk _codecs_iso2022
_codecs_jp _codecs_kr _codecs_tw _contextvars _csv _ctypes _datetime _decimal
_elementtree _hashlib _heapq _json _lsprof _lzma _md5 _multibytecodec
_multiprocessing _opcode _pickle _posixshmem _posixsubprocess _queue _random
_sha1 _sha2 _sha3 _socket _sqlite3 _ssl _statistics _struct _uuid _zoneinfo
array binascii cmath fcntl grp math mmap pyexpat resource select syslog termios
unicodedata zlib""".split()
MODULES = """asyncio datetime decimal json csv sqlite3 ssl hashlib uuid zoneinfo
pickle logging email.utils http.client urllib.request xml.etree.ElementTree
xml.dom.minidom statistics fractions random secrets socket selectors
subprocess tempfile shutil pathlib zipfile tarfile gzip bz2 lzma base64 hmac
struct collections functools typing dataclasses enum re textwrap locale
gettext calendar queue threading concurrent.futures multiprocessing ctypes
contextvars copy inspect traceback argparse configparser ipaddress mimetypes
html wsgiref.simple_server""".split()

# Refused in own-GIL interpreters (single-phase init, or marked unsafe); an
# ImportError there is CPython's answer, not a failure of this app.
refused = []
for name in EXTENSIONS + MODULES:
    try:
        importlib.import_module(name)
    except ImportError as e:
        refused.append(f"{name}: {e}")

import datetime
import decimal
import json
import sqlite3
import zoneinfo


def application(environ, start_response):
    db = sqlite3.connect(":memory:")
    (n,) = db.execute("select 6 * 7").fetchone()
    db.close()
    used = [
        datetime.datetime(2024, 2, 29, tzinfo=datetime.timezone.utc).isoformat(),
        str(decimal.Decimal("1.10") * 3),
        json.dumps({"n": n}),
        str(datetime.timedelta(days=1, seconds=5)),
    ]
    body = "\n".join(used + ["refused: %d" % len(refused)] + refused) + "\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
