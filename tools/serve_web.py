"""Serve the web/ demo with a TF.js model on 127.0.0.1 (no CDN: TF.js comes from node_modules).

Usage:
    python tools/serve_web.py --model exports/h2z/tfjs/float16 [--port 8000]
    then open http://127.0.0.1:8000/

URL layout: ``/`` -> web/, ``/vendor/`` -> the TF.js and wasm-backend bundles in node_modules,
``/model/`` -> the TF.js model folder. Every response carries the cross-origin isolation headers
(``ISOLATION_HEADERS``), which browsers need before they run the multi-threaded wasm build.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIRS = (
    ROOT / "node_modules" / "@tensorflow" / "tfjs" / "dist",
    ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "dist",
)

# A page is cross-origin isolated (SharedArrayBuffer, so wasm threads) only when served with both.
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}


class DemoHandler(http.server.SimpleHTTPRequestHandler):
    """Static files from web/, /vendor/ from node_modules, /model/ from ``model_dir``."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}

    def __init__(self, *args, model_dir: Path, **kwargs):
        self.model_dir = model_dir
        super().__init__(*args, directory=str(ROOT / "web"), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        name = clean.rsplit("/", 1)[-1]
        if clean.startswith("/vendor/") and "/" not in clean[len("/vendor/") :]:
            for folder in VENDOR_DIRS:
                if (folder / name).is_file():
                    return str(folder / name)
        if clean.startswith("/model/") and "/" not in clean[len("/model/") :]:
            return str(self.model_dir / name)
        return super().translate_path(path)

    def end_headers(self) -> None:
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass


def start_server(model_dir: str | Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """Start the demo server on 127.0.0.1 in a daemon thread; ``port=0`` picks a free port (``server.server_port``)."""
    model_dir = Path(model_dir).resolve()
    if not (model_dir / "model.json").is_file():
        raise FileNotFoundError(f"--model {model_dir}: no model.json (use a folder written by export.py --format tfjs)")
    missing = [str(d) for d in VENDOR_DIRS if not d.is_dir()]
    if missing:
        raise FileNotFoundError(f"TF.js bundles missing ({missing[0]}); run `npm ci` in {ROOT}")
    handler = functools.partial(DemoHandler, model_dir=model_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="TF.js model folder (with model.json)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    try:
        server = start_server(args.model, args.port)
    except (FileNotFoundError, OSError) as error:
        raise SystemExit(f"error: {error}") from error
    print(f"serving the demo on http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
