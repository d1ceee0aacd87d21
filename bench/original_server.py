"""Start the original Python PagerDuty MCP server (PyPI `pagerduty-mcp-server`)
against a fake PagerDuty on loopback.

The original server has no API-host setting. Its client is
`pagerduty.RestApiV2Client` (pagerduty_mcp_server/client.py), whose base URL is
the `default_base_url` property when the constructor is given none, and whose
`url` setter (pagerduty/api_client.py) refuses anything but https://. This
wrapper, before the server's `main()` runs:

* makes `default_base_url` return $PAGERDUTY_API_HOST (the fake's URL), and
* lets the `url` setter accept exactly that URL (the fake speaks plain HTTP), and
* drops `include[]=body` from its `GET /incidents/{id}` (its incident_id lookup):
  that value is not in PagerDuty's OpenAPI spec for the operation (valid:
  acknowledgers, agents, assignees, ...), and the fake, which follows the spec,
  answers 400. Without it the original's answer lacks the `body_details` it
  would show if PagerDuty returned a body, which can only make its answers
  smaller, i.e. the byte comparison stays conservative for ours.

Everything else is the unmodified server, serving MCP on stdio like its
`pagerduty-mcp-server` console script; it reads $PAGERDUTY_API_TOKEN itself.

With BENCH_ORIGINAL_HTTP=HOST:PORT it serves FastMCP's Streamable HTTP transport
on http://HOST:PORT/mcp instead (the original's `main()` has no transport
option, so this calls `mcp.run(transport="http", ...)` on the same server object).
"""

import os
import sys

import pagerduty

API_HOST = os.environ.get("PAGERDUTY_API_HOST", "").rstrip("/")
if not API_HOST:
    sys.exit("original_server.py: set PAGERDUTY_API_HOST to the fake PagerDuty's base URL")

_checked_url = pagerduty.ApiClient.url


def _set_url(self, new_base_url):
    if new_base_url == API_HOST:
        self._url = new_base_url
    else:
        _checked_url.fset(self, new_base_url)


pagerduty.ApiClient.url = property(_checked_url.fget, _set_url)
pagerduty.RestApiV2Client.default_base_url = property(lambda self: API_HOST)

_jget = pagerduty.RestApiV2Client.jget


def _jget_without_body_include(self, url, **kw):
    params = kw.get("params")
    if isinstance(params, dict) and params.get("include[]") == "body":
        kw["params"] = {k: v for k, v in params.items() if k != "include[]"}
    return _jget(self, url, **kw)


pagerduty.RestApiV2Client.jget = _jget_without_body_include

from pagerduty_mcp_server import main  # noqa: E402  (after the patch, on purpose)

if __name__ == "__main__":
    sys.argv = sys.argv[:1]
    http = os.environ.get("BENCH_ORIGINAL_HTTP")
    if http:
        from pagerduty_mcp_server import mcp

        host, port = http.rsplit(":", 1)
        mcp.run(transport="http", host=host, port=int(port), path="/mcp")
    else:
        sys.exit(main())
