#!/usr/bin/env python3
"""server.json, the MCP Registry's entry for the bundle: written, validated, and read back
the way a registry client reads it.

usage:
  server_json.py write MANIFEST BUNDLE --name NAME --url BASE_URL --schema SCHEMA
                       [--binary PLATFORM=FILE ...] OUT
  server_json.py fetch SERVER_JSON OUT_FILE
  server_json.py fetch-binary SERVER_JSON PLATFORM OUT_FILE

`write` describes BUNDLE (the .mcpb file) as an `mcpb` package downloaded from
BASE_URL/<bundle file name>, with its SHA-256, the version and description of the bundle's
MANIFEST and the environment variables its `user_config` maps to, and validates the result
against SCHEMA (the registry's server.schema.json). The registry has no package type for a
plain executable, so each `--binary` (e.g. `linux-x86_64=pagerduty-mcp-x86_64-unknown-linux-musl`)
is described in the publisher-provided metadata (`_meta`), as BINARIES_KEY: its platform,
download URL (BASE_URL/<file name>) and SHA-256. `fetch` downloads the package a server.json
names and `fetch-binary` the binary for a platform, each checked against the `fileSha256`
there, as a client must before running it.
"""
import argparse
import hashlib
import json
import os
import re
import sys
import urllib.request

SCHEMA_ID = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
PUBLISHER_PROVIDED = "io.modelcontextprotocol.registry/publisher-provided"
BINARIES_KEY = "pagerduty-mcp/binaries"


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def environment(manifest):
    """The bundle's environment variables that come from its user_config, as registry inputs."""
    options = manifest.get("user_config", {})
    out = []
    for name, value in manifest["server"]["mcp_config"].get("env", {}).items():
        match = re.fullmatch(r"\$\{user_config\.([A-Za-z0-9_]+)\}", value)
        if not match:
            continue
        option = options[match.group(1)]
        variable = {
            "name": name,
            "description": option["description"],
            "isRequired": bool(option.get("required")),
            "isSecret": bool(option.get("sensitive")),
            "format": "string",
        }
        if option.get("default"):
            variable["default"] = option["default"]
        out.append(variable)
    return out


def write(args):
    import jsonschema

    with open(args.manifest) as f:
        manifest = json.load(f)
    with open(args.schema) as f:
        schema = json.load(f)
    if schema.get("$id") != SCHEMA_ID:
        sys.exit(f"{args.schema} is not the schema {SCHEMA_ID}")
    server = {
        "$schema": SCHEMA_ID,
        "name": args.name,
        "title": manifest.get("display_name", manifest["name"]),
        "description": manifest["description"],
        "version": manifest["version"],
        "packages": [{
            "registryType": "mcpb",
            "identifier": f"{args.url.rstrip('/')}/{os.path.basename(args.bundle)}",
            "version": manifest["version"],
            "fileSha256": sha256(args.bundle),
            "transport": {"type": "stdio"},
            "environmentVariables": environment(manifest),
        }],
    }
    binaries = []
    for spec in args.binary:
        platform, sep, path = spec.partition("=")
        if not sep or not platform or not path:
            sys.exit(f"--binary {spec!r}: expected PLATFORM=FILE")
        binaries.append({
            "platform": platform,
            "url": f"{args.url.rstrip('/')}/{os.path.basename(path)}",
            "fileSha256": sha256(path),
        })
    if binaries:
        server["_meta"] = {PUBLISHER_PROVIDED: {BINARIES_KEY: binaries}}
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(server), key=lambda e: list(e.path))
    if errors:
        for error in errors:
            print(f"server.json: {'/'.join(map(str, error.path))}: {error.message}", file=sys.stderr)
        sys.exit(1)
    with open(args.out, "w") as f:
        json.dump(server, f, indent=2)
        f.write("\n")
    print(f"{args.out}: valid against {SCHEMA_ID}", file=sys.stderr)


def download(url, expected_sha256, out):
    """Downloads `url` to `out` and exits unless its SHA-256 is `expected_sha256`."""
    with urllib.request.urlopen(url, timeout=30) as answer, open(out, "wb") as f:
        f.write(answer.read())
    got = sha256(out)
    if got != expected_sha256:
        sys.exit(f"{url}: SHA-256 {got}, server.json says {expected_sha256}")
    print(f"downloaded {url}: SHA-256 matches server.json", file=sys.stderr)


def fetch(args):
    with open(args.server_json) as f:
        package = json.load(f)["packages"][0]
    download(package["identifier"], package["fileSha256"], args.out)


def fetch_binary(args):
    with open(args.server_json) as f:
        server = json.load(f)
    binaries = server.get("_meta", {}).get(PUBLISHER_PROVIDED, {}).get(BINARIES_KEY, [])
    matching = [b for b in binaries if b["platform"] == args.platform]
    if not matching:
        sys.exit(f"{args.server_json}: no binary for {args.platform}")
    download(matching[0]["url"], matching[0]["fileSha256"], args.out)
    os.chmod(args.out, 0o755)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("manifest")
    w.add_argument("bundle")
    w.add_argument("--name", required=True, help="the registry name, e.g. io.github.OWNER/pagerduty-mcp")
    w.add_argument("--url", required=True, help="where the bundle will be downloaded from (its directory)")
    w.add_argument("--schema", required=True)
    w.add_argument("--binary", action="append", default=[], metavar="PLATFORM=FILE",
                   help="a static binary downloaded from the same place, e.g. linux-x86_64=FILE")
    w.add_argument("out")
    f = commands.add_parser("fetch")
    f.add_argument("server_json")
    f.add_argument("out")
    b = commands.add_parser("fetch-binary")
    b.add_argument("server_json")
    b.add_argument("platform")
    b.add_argument("out")
    args = parser.parse_args()
    {"write": write, "fetch": fetch, "fetch-binary": fetch_binary}[args.command](args)


if __name__ == "__main__":
    main()
