#!/usr/bin/env python3
"""Starts the server of an unpacked MCP bundle the way an MCPB host does, and uses it.

usage: check_bundle.py UNPACKED_BUNDLE_DIR FAKE_PAGERDUTY_BIN

Reads the bundle's manifest.json, fills in `${__dirname}` and `${user_config.<key>}`
(the token and API host of a fake PagerDuty it starts; the other options as given
below, else their defaults), starts `server.mcp_config`'s command with its args and
with only its env, and speaks JSON-RPC over stdio: initialize, tools/list, and a
`get_current_user` call answered by the fake. Twice: with the defaults, and with a
toolset and the write tools chosen, to see each option reach the server.
"""
import json
import os
import re
import subprocess
import sys
import time

FAKE_TOKEN = "fake-user-token"


def start_fake(binary):
    fake = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    url = fake.stdout.readline().strip()
    if not url.startswith("http://"):
        fake.kill()
        sys.exit(f"fake-pagerduty did not start: {url!r}")
    return fake, url


def resolve(value, bundle, config):
    """A manifest string with the host's substitutions made."""
    def user(match):
        key = match.group(1)
        if key not in config:
            sys.exit(f"the manifest refers to an undeclared user_config key {key!r}")
        return str(config[key])
    value = value.replace("${__dirname}", bundle)
    return re.sub(r"\$\{user_config\.([A-Za-z0-9_]+)\}", user, value)


def run(bundle, manifest, chosen):
    declared = manifest.get("user_config", {})
    config = {key: option.get("default", "") for key, option in declared.items()}
    config.update(chosen)
    missing = [k for k, o in declared.items() if o.get("required") and not config.get(k)]
    if missing:
        sys.exit(f"required options without a value: {missing}")
    mcp = manifest["server"]["mcp_config"]
    command = resolve(mcp["command"], bundle, config)
    args = [resolve(a, bundle, config) for a in mcp.get("args", [])]
    env = {k: resolve(v, bundle, config) for k, v in mcp.get("env", {}).items()}
    server = subprocess.Popen([command, *args], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def request(id_, method, params=None):
        message = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        server.stdin.write(json.dumps(message) + "\n")
        server.stdin.flush()
        line = server.stdout.readline()
        if not line:
            sys.exit(f"the bundle's server exited: {server.stderr.read()}")
        answer = json.loads(line)
        if "error" in answer:
            sys.exit(f"{method}: {answer['error']}")
        return answer["result"]

    try:
        info = request(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                         "clientInfo": {"name": "check_bundle", "version": "1"}})
        server.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        tools = [t["name"] for t in request(1, "tools/list")["tools"]]
        call = request(2, "tools/call", {"name": "get_current_user", "arguments": {}})
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    if call.get("isError"):
        sys.exit(f"get_current_user failed: {call}")
    user = call["structuredContent"]["users"][0]
    return info["serverInfo"]["name"], tools, user


def main():
    bundle, fake_binary = os.path.abspath(sys.argv[1]), sys.argv[2]
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    fake, url = start_fake(fake_binary)
    try:
        started = time.monotonic()
        name, tools, user = run(bundle, manifest, {"api_token": FAKE_TOKEN, "api_host": url})
        ms = (time.monotonic() - started) * 1000
        writes = [t for t in tools if t in ("acknowledge_incident", "resolve_incident")]
        assert "list_incidents" in tools and not writes, tools
        print(f"bundle server {name}: {len(tools)} tools (read-only), "
              f"get_current_user -> {user['name']} <{user['email']}>, {ms:.0f} ms")
        _, tools, _ = run(bundle, manifest, {"api_token": FAKE_TOKEN, "api_host": url,
                                             "toolsets": "incidents,people", "write_tools": "true"})
        assert "acknowledge_incident" in tools and "list_services" not in tools, tools
        print(f"with toolsets=incidents,people and write_tools=true: {len(tools)} tools, "
              "writes included, services left out")
    finally:
        fake.kill()
        fake.wait()


if __name__ == "__main__":
    main()
