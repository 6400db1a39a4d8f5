"""What a Lambda Python runtime provides without any requirement: its standard library and the
AWS SDK.

``sys.stdlib_module_names`` is the standard library of the Python running lint; a function's
runtime may be another version, so the modules added or removed between versions are listed
here (What's New in Python 3.9 to 3.14; PEP 594 for the 3.13 removals).
"""

from __future__ import annotations

import sys

#: Top-level standard library modules and the version that added them.
ADDED: dict[str, tuple[int, int]] = {
    "graphlib": (3, 9),
    "zoneinfo": (3, 9),
    "tomllib": (3, 11),
    "annotationlib": (3, 14),
    "compression": (3, 14),
}

#: Top-level standard library modules and the version that removed them.
REMOVED: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("formatter", "parser", "symbol"), (3, 10)),
    **dict.fromkeys(("asynchat", "asyncore", "distutils", "imp", "smtpd"), (3, 12)),
    **dict.fromkeys(
        ("aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap",
         "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
         "telnetlib", "uu", "xdrlib"),
        (3, 13),
    ),
}

#: What every Lambda Python runtime ships besides the standard library: the AWS SDK (boto3,
#: botocore) and the packages they need ("Lambda runtimes": "the runtime includes the AWS
#: SDK for Python"); import name -> distribution.
LAMBDA_PROVIDED: dict[str, str] = {
    "boto3": "boto3",
    "botocore": "botocore",
    "s3transfer": "s3transfer",
    "jmespath": "jmespath",
    "dateutil": "python-dateutil",
    "urllib3": "urllib3",
    "six": "six",
}


def is_stdlib(name: str, version: tuple[int, int]) -> bool:
    """Whether ``import name`` finds a standard library module on Python ``version``."""
    if name in ADDED and version < ADDED[name]:
        return False
    if name in REMOVED:
        return version < REMOVED[name]
    return name in sys.stdlib_module_names or name in ADDED


def removed_in(name: str, version: tuple[int, int]) -> tuple[int, int] | None:
    """The version that removed ``name`` from the standard library, when ``version`` is past it."""
    removed = REMOVED.get(name)
    return removed if removed is not None and version >= removed else None
