"""Starts the project's test Hub (tests/hub_server/, the `hub_server` program built by CMake) for the
oracle scripts, so the real huggingface_hub client and our C++ tests talk to the same server."""
import json
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def default_binary():
    return os.environ.get("HUB_SERVER", os.path.join(ROOT, "build-hub", "tests", "hub_server"))


class HubServer:
    """`with HubServer(["--spec", path]) as hub: hub.endpoint` — stopped (and its log written) on exit."""

    def __init__(self, args, binary=None):
        self.proc = subprocess.Popen([binary or default_binary(), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("hub_server did not start (build it: cmake --build build-hub --target hub_server)")
        info = json.loads(line)
        self.endpoint, self.cdn = info["endpoint"], info["cdn"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
