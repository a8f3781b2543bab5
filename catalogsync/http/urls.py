"""Which base URLs credentials may be sent to: https, or plain http that stays on the machine.

Shared by the billing-system clients and the CI providers' API clients (`catalogsync.ci`).
"""

from __future__ import annotations

import ipaddress
import logging

import httpx

from catalogsync.errors import ConfigError

logger = logging.getLogger(__name__)


def check_base_url(base_url: str, *, has_transport: bool, allow_insecure_http: bool) -> None:
    """Refuse plain http to anything but loopback (or the in-process emulator)."""
    url = httpx.URL(base_url)
    if url.scheme == "https":
        return
    if url.scheme != "http" or not url.host:
        raise ConfigError.single(f"unsupported URL {base_url.split('?')[0]!r}: use https://")
    if _is_loopback(url.host):
        return
    if has_transport and url.host.startswith("emulator"):
        return  # an in-process emulator: nothing leaves the process
    if allow_insecure_http:
        # Allowed, but never silently: every run says that credentials travel in clear.
        logger.warning(
            "warning: allow_insecure_http is set: credentials and catalog data go to %s "
            "over plain http://, readable by anyone on the network",
            url.host,
        )
        return
    raise ConfigError.single(
        f"refusing plain http:// to {url.host}: credentials would cross the network "
        "unencrypted; use https:// (or allow insecure http explicitly)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
