#!/usr/bin/env python3
"""Regenerate crates/schema/bundle/schemas.tar.zst from the cfn-lint wheel on PyPI.

cfn-lint ships the CloudFormation registry resource schemas that AWS publishes per region
(cfnlint/data/schemas/resources/<hash>.json) and, for every region, a map from type name to
schema file (cfnlint/data/schemas/providers/<region>.json). This script takes the us-east-1
schemas and every region's list of type names, and writes one tar compressed with zstd -19:

    manifest.json          source, version, region of the schemas, type count
    index.json             [{typeName, description, handlers}] for search without parsing
    regions/<region>.json  sorted type names available in that region
    schemas/<Type>.json    one schema per type, file name with "::" replaced by "__"

Usage: scripts/update-schemas.py [--version X.Y.Z] [--wheel PATH]
Needs: pip (to download the wheel) and the zstd command.
"""
import argparse
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "crates" / "schema" / "bundle" / "schemas.tar.zst"
SCHEMA_REGION = "us-east-1"
PREFIX = "cfnlint/data/schemas/"


def download_wheel(version, directory):
    spec = f"cfn-lint=={version}" if version else "cfn-lint"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "-d", directory, spec],
        check=True,
    )
    wheels = sorted(pathlib.Path(directory).glob("cfn_lint-*.whl"))
    if not wheels:
        sys.exit(f"pip did not download a cfn-lint wheel into {directory}")
    return wheels[-1]


def add_file(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def build(wheel_path):
    version = wheel_path.name.split("-")[1]
    wheel = zipfile.ZipFile(wheel_path)
    providers = {}
    for name in wheel.namelist():
        if name.startswith(PREFIX + "providers/") and name.endswith(".json"):
            region = pathlib.PurePosixPath(name).stem
            if region == "sam":
                continue
            providers[region] = json.loads(wheel.read(name))
    if SCHEMA_REGION not in providers:
        sys.exit(f"{wheel_path} has no provider map for {SCHEMA_REGION}")

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        index = []
        for type_name, digest in sorted(providers[SCHEMA_REGION].items()):
            raw = wheel.read(f"{PREFIX}resources/{digest}.json")
            schema = json.loads(raw)
            if schema.get("typeName") != type_name:
                sys.exit(f"schema {digest} names {schema.get('typeName')}, expected {type_name}")
            index.append({
                "typeName": type_name,
                "description": schema.get("description", ""),
                "handlers": sorted(schema.get("handlers", {}).keys()),
            })
            compact = json.dumps(schema, separators=(",", ":"), sort_keys=False).encode()
            add_file(archive, f"schemas/{type_name.replace('::', '__')}.json", compact)
        for region, types in sorted(providers.items()):
            add_file(archive, f"regions/{region}.json", json.dumps(sorted(types)).encode())
        add_file(archive, "index.json", json.dumps(index, separators=(",", ":")).encode())
        manifest = {
            "source": "PyPI package cfn-lint, cfnlint/data/schemas (CloudFormation registry schemas)",
            "sourceVersion": version,
            "schemaRegion": SCHEMA_REGION,
            "typeCount": len(index),
            "regions": sorted(providers),
            "generatedAt": time.strftime("%Y-%m-%d", time.gmtime()),
        }
        add_file(archive, "manifest.json", json.dumps(manifest, indent=1).encode())

    with tempfile.NamedTemporaryFile(suffix=".tar") as plain:
        plain.write(tar_bytes.getvalue())
        plain.flush()
        subprocess.run(["zstd", "-19", "-q", "-f", plain.name, "-o", str(OUTPUT)], check=True)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes): {len(index)} types, "
          f"{len(providers)} regions, cfn-lint {version}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="cfn-lint version to download (default: latest)")
    parser.add_argument("--wheel", type=pathlib.Path, help="use this wheel instead of downloading")
    args = parser.parse_args()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    if args.wheel:
        build(args.wheel)
        return
    with tempfile.TemporaryDirectory() as directory:
        build(download_wheel(args.version, directory))


if __name__ == "__main__":
    main()
