"""Open a report page in headless Chromium and fail if the console shows errors.

    python benchmarks/report_check.py out/report/report.html
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]


def chromium() -> str | None:
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


def check(page: Path) -> tuple[list[str], str]:
    """Console errors while rendering ``page``, and the rendered DOM."""
    binary = chromium()
    if binary is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
                                capture_output=True, text=True, timeout=120)
    errors = [line for line in result.stderr.splitlines()
              if "CONSOLE" in line and ("ERROR" in line.upper() or "Uncaught" in line)]
    return errors, result.stdout


def main() -> int:
    page = Path(sys.argv[1])
    errors, dom = check(page)
    for line in errors:
        print(line)
    if errors or "<h1>stanceframe report</h1>" not in dom:
        print(f"{page}: rendering problems ({len(errors)} console errors)")
        return 1
    print(f"{page}: rendered in headless Chromium without console errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
